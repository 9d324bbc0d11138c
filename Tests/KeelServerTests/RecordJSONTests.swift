import Foundation
import KeelCore
import Testing

@testable import KeelServer

/// The admin API's and evidence packs' JSON of a record, written directly, says what
/// `JSONEncoder` says of the view it replaced (``EncodedRecordView``): the same members, values and key order.
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
            if index % 10 == 3 { record.toolName = "search \"quoted\"" }
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
                try JSONSerialization.jsonObject(with: encoder.encode(EncodedRecordView(record: record)))
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

/// The record view as `JSONEncoder` wrote it before the admin API wrote it directly: the
/// reference the direct JSON must match.
struct EncodedRecordView: Encodable {
    let record: RequestRecord

    enum CodingKeys: String, CodingKey {
        case id, operation, model, provider, deployment, stream, status, outcome, attempts, cost
        case startedAt = "started_at"
        case keyID = "key_id"
        case orgID = "org_id"
        case teamID = "team_id"
        case projectID = "project_id"
        case tags
        case agentID = "agent_id"
        case taskID = "task_id"
        case taskOutcome = "task_outcome"
        case toolName = "tool_name"
        case userID = "user_id"
        case requestedModel = "requested_model"
        case errorClass = "error_class"
        case ttftMs = "ttft_ms"
        case upstreamMs = "upstream_ms"
        case totalMs = "total_ms"
        case usage
        case costNanos = "cost_nanos"
        case costUSD = "cost_usd"
        case attemptLog = "attempt_log"
        case cacheHit = "cache_hit"
        case cacheSavedNanos = "cache_saved_nanos"
        case cacheSavedUSD = "cache_saved_usd"
        case usageEstimated = "usage_estimated"
        case guardVerdict = "guard_verdict"
    }

    struct AttemptView: Encodable {
        let attempt: RequestRecord.Attempt
        enum CodingKeys: String, CodingKey {
            case provider, deployment
            case errorClass = "error_class"
            case upstreamStatus = "upstream_status"
            case durationMs = "duration_ms"
            case resumed
        }
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(self.attempt.provider, forKey: .provider)
            try container.encode(self.attempt.deployment, forKey: .deployment)
            try container.encode(self.attempt.errorClass, forKey: .errorClass)
            try container.encode(self.attempt.upstreamStatus, forKey: .upstreamStatus)
            try container.encode(Double(self.attempt.durationMicros) / 1_000, forKey: .durationMs)
            if self.attempt.resumed { try container.encode(true, forKey: .resumed) }
        }
    }

    struct Usage: Encodable {
        let usage: TokenUsage
        enum CodingKeys: String, CodingKey {
            case input = "input_tokens"
            case output = "output_tokens"
            case cached = "cached_input_tokens"
            case cacheWrite = "cache_write_tokens"
            case cacheWrite1h = "cache_write_1h_tokens"
            case reasoning = "reasoning_tokens"
            case webSearch = "web_search_requests"
        }
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(self.usage.inputTokens, forKey: .input)
            try container.encode(self.usage.outputTokens, forKey: .output)
            try container.encode(self.usage.cachedInputTokens, forKey: .cached)
            try container.encode(self.usage.cacheWriteTokens, forKey: .cacheWrite)
            try container.encode(self.usage.cacheWrite1hTokens, forKey: .cacheWrite1h)
            try container.encode(self.usage.reasoningTokens, forKey: .reasoning)
            try container.encode(self.usage.webSearchRequests, forKey: .webSearch)
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        let record = self.record
        try container.encode(record.id.rawValue, forKey: .id)
        try container.encode(record.startedAt, forKey: .startedAt)
        try container.encode(record.operation, forKey: .operation)
        try container.encode(record.keyID?.rawValue, forKey: .keyID)
        try container.encode(record.orgID?.rawValue, forKey: .orgID)
        try container.encode(record.teamID?.rawValue, forKey: .teamID)
        try container.encode(record.projectID?.rawValue, forKey: .projectID)
        try container.encode(record.userID?.rawValue, forKey: .userID)
        try container.encode(record.requestedModel, forKey: .requestedModel)
        try container.encode(record.model, forKey: .model)
        try container.encode(record.provider, forKey: .provider)
        try container.encode(record.deployment, forKey: .deployment)
        try container.encode(record.stream, forKey: .stream)
        try container.encode(record.status, forKey: .status)
        try container.encode(record.outcome.rawValue, forKey: .outcome)
        try container.encode(record.errorClass, forKey: .errorClass)
        try container.encode(record.attempts, forKey: .attempts)
        try container.encode(record.ttftMicros.map { Double($0) / 1_000 }, forKey: .ttftMs)
        try container.encode(record.upstreamMicros.map { Double($0) / 1_000 }, forKey: .upstreamMs)
        try container.encode(Double(record.totalMicros) / 1_000, forKey: .totalMs)
        try container.encode(Usage(usage: record.usage), forKey: .usage)
        try container.encode(record.cost.rawValue, forKey: .costNanos)
        try container.encode(record.cost.decimalString, forKey: .costUSD)
        try container.encode(record.usageEstimated, forKey: .usageEstimated)
        try container.encode(record.attemptLog.map(AttemptView.init), forKey: .attemptLog)
        try container.encode(record.tags, forKey: .tags)
        try container.encode(record.agentID, forKey: .agentID)
        try container.encode(record.taskID, forKey: .taskID)
        try container.encode(record.taskOutcome?.rawValue, forKey: .taskOutcome)
        try container.encode(record.toolName, forKey: .toolName)
        try container.encode(record.cacheHit, forKey: .cacheHit)
        try container.encode(record.cacheSavedCost.rawValue, forKey: .cacheSavedNanos)
        try container.encode(record.cacheSavedCost.decimalString, forKey: .cacheSavedUSD)
        try container.encode(record.guardVerdict, forKey: .guardVerdict)
    }
}
