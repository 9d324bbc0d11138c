import Foundation
import KeelCore
import KeelServer
import KeelSimulator
import KeelTesting
import NIOHTTP1
import Testing

@Suite("Concurrency and graceful shutdown")
struct LoadAndShutdownTests {
    @Test func twoHundredConcurrentMixedRequestsEachGetTheirOwnAnswerAndRecord() async throws {
        try await TestKeel.run { keel in
            let results = try await withThrowingTaskGroup(of: (Int, Bool).self) { group in
                for index in 0..<200 {
                    group.addTask {
                        let stream = index % 2 == 1
                        let content = "request number \(index) " + String(repeating: "x", count: index % 17)
                        let viaGateway = try await keel.post(
                            "/v1/chat/completions",
                            json: chatBody(content, extra: stream ? #""stream":true,"stream_options":{"include_usage":true}"# : "")
                        )
                        let direct = try await keel.postDirect("/v1/chat/completions", json: chatBody(content))
                        guard viaGateway.status == 200 else { return (index, false) }
                        if stream {
                            let directMessage = (direct.json?["choices"] as? [[String: Any]])?.first?["message"] as? [String: Any]
                            let usage = viaGateway.jsonEvents.last?["usage"] as? [String: Any]
                            let directUsage = direct.json?["usage"] as? [String: Any]
                            return (index, viaGateway.streamedText == directMessage?["content"] as? String
                                && usage?["prompt_tokens"] as? Int == directUsage?["prompt_tokens"] as? Int
                                && usage?["completion_tokens"] as? Int == directUsage?["completion_tokens"] as? Int)
                        }
                        return (index, viaGateway.bodyIgnoringCreated == direct.bodyIgnoringCreated)
                    }
                }
                var results: [Int: Bool] = [:]
                for try await (index, matched) in group { results[index] = matched }
                return results
            }
            #expect(results.count == 200)
            #expect(results.values.allSatisfy { $0 }, "mismatched: \(results.filter { !$0.value }.keys.sorted())")
            await keel.shutdown()
            let records = try await keel.records()
            #expect(records.count == 200)
            #expect(Set(records.map(\.id)).count == 200)
            #expect(records.allSatisfy { $0.outcome == .success && $0.usage.outputTokens > 0 })
        }
    }

    @Test func gracefulShutdownUnderLoadLeavesExactlyOneRecordPerAdmittedRequest() async throws {
        try await TestKeel.run { keel in
            let answered = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<60 {
                    group.addTask {
                        let stream = index % 2 == 0
                        do {
                            let response = try await keel.post(
                                "/v1/chat/completions",
                                json: chatBody("[sim ttft_ms=200 tps=100 tokens=20] load \(index)", extra: stream ? #""stream":true"# : "")
                            )
                            return response.status > 0
                        } catch {
                            return false  // refused after the server stopped accepting: not admitted
                        }
                    }
                }
                // Shut down once requests are in flight upstream (each takes about 400 ms there).
                for _ in 0..<1_000 where keel.simulator.requestCount(path: "/v1/chat/completions") < 10 {
                    try await Task.sleep(for: .milliseconds(5))
                }
                await keel.shutdown()
                var answered = 0
                for try await ok in group where ok { answered += 1 }
                return answered
            }
            let records = try await keel.records()
            #expect(answered > 0)
            #expect(records.count == answered)
            #expect(Set(records.map(\.id)).count == records.count)
        }
    }
}
