import Foundation
import KeelCore
import Testing

@testable import KeelServer

/// The admin API's and evidence packs' JSON of a record, written directly, says what
/// `JSONEncoder` says of ``AdminAPI/RecordView``: the same members, values and key order.
@Suite("Record JSON")
struct RecordJSONTests {
    static func records() -> [RequestRecord] {
        var generator = SystemRandomNumberGenerator()
        var records: [RequestRecord] = []
        for index in 0..<300 {
            var record = RequestRecord(
                id: RequestID("req-\(index)"),
                startedAt: 1_790_000_000_000_000 + Int64(index) * 1_234_567,
                operation: index % 3 == 0 ? "embeddings" : "chat.completions",
                keyID: index % 4 == 0 ? nil : KeyID("key/\(index % 7)"),
                orgID: index % 5 == 0 ? nil : OrgID("org-\(index % 3)"),
                teamID: TeamID("team \"\(index % 2)\""),
                projectID: index % 6 == 0 ? ProjectID("p-\(index)") : nil,
                userID: index % 9 == 0 ? UserID("ü-\(index)") : nil,
                requestedModel: "model-\(index % 5)",
                model: index % 11 == 0 ? nil : "meta-llama/Llama-3.1-\(index % 3)",
                provider: "provider-\(index % 3)",
                deployment: "dep-\(index % 4)",
                stream: index % 2 == 0,
                status: index % 13 == 0 ? 502 : 200,
                outcome: index % 13 == 0 ? .error : .success,
                errorClass: index % 13 == 0 ? "upstream_unavailable" : nil,
                attempts: index % 4,
                ttftMicros: index % 3 == 0 ? nil : Int64.random(in: 0...9_999_999, using: &generator),
                upstreamMicros: Int64.random(in: 0...99_999_999, using: &generator),
                totalMicros: Int64.random(in: 0...99_999_999, using: &generator),
                usage: TokenUsage(
                    inputTokens: Int64(index * 37),
                    outputTokens: Int64(index * 11),
                    cachedInputTokens: Int64(index % 50),
                    cacheWriteTokens: 3,
                    cacheWrite1hTokens: 1,
                    reasoningTokens: Int64(index % 9),
                    webSearchRequests: Int64(index % 2)
                ),
                cost: USDNanos(Int64(index) * 123_457),
                tags: index % 3 == 0 ? [:] : ["env": "prod", "line\nbreak": "tab\there", "a": "\u{1}"],
                cacheHit: index % 17 == 0,
                cacheSavedCost: USDNanos(Int64(index % 17)),
                agentID: index % 8 == 0 ? "agent-1" : nil,
                taskID: index % 8 == 0 ? "task-\(index)" : nil,
                taskOutcome: index % 16 == 0 ? .success : nil,
                usageEstimated: index % 19 == 0
            )
            if index % 5 == 1 {
                record.attemptLog = [
                    RequestRecord.Attempt(
                        provider: "a",
                        deployment: "d/1",
                        errorClass: "upstream_timeout",
                        upstreamStatus: nil,
                        durationMicros: 1_500
                    ),
                    RequestRecord.Attempt(
                        provider: "b",
                        deployment: "d2",
                        errorClass: nil,
                        upstreamStatus: 200,
                        durationMicros: 2_000,
                        resumed: index % 2 == 0
                    ),
                ]
            }
            if index % 10 == 7 {
                var verdict = GuardVerdict()
                verdict.count(.email, action: .redact)
                verdict.count(.awsAccessKeyID, action: .block, answer: true)
                record.guardVerdict = verdict
            }
            records.append(record)
        }
        return records
    }

    @Test func theDirectJSONSaysWhatTheEncoderSays() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        for record in Self.records() {
            var text = ""
            AdminAPI.RecordView(record: record).json(into: &text)
            let direct = try #require(
                try JSONSerialization.jsonObject(with: Data(text.utf8)) as? NSDictionary,
                "\(text)"
            )
            let expected = try #require(
                try JSONSerialization.jsonObject(with: encoder.encode(AdminAPI.RecordView(record: record)))
                    as? NSDictionary
            )
            #expect(direct == expected, "\(text)")
            // Keys in the encoder's sorted order.
            let keys = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]).keys
                .sorted()
            #expect(text.hasPrefix("{\"" + keys[0] + "\""))
        }
    }

    @Test func millisecondsAreExactDecimals() {
        for (micros, text) in [
            (0, "0"), (1, "0.001"), (10, "0.01"), (1_500, "1.5"), (250_000, "250"), (123_456_789, "123456.789"),
            (-3_250, "-3.25"),
        ] {
            var output = ""
            AdminAPI.RecordView.appendMilliseconds(Int64(micros), to: &output)
            #expect(output == text)
            #expect(Double(output) == Double(micros) / 1_000)
        }
    }
}
