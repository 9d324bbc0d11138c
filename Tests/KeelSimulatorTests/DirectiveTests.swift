import AsyncHTTPClient
import Foundation
import KeelSimulator
import NIOCore
import NIOHTTP1
import Testing

@Suite("Directives and faults")
struct DirectiveTests {
    static let streaming = #","stream":true,"stream_options":{"include_usage":true}"#

    @Test(
        arguments: [
            (429, "rate_limit_error", "rate_limit_exceeded"),
            (500, "server_error", nil),
            (503, "server_error", "service_unavailable"),
            (529, "server_error", "overloaded"),
        ] as [(Int, String, String?)]
    )
    func statusDirectiveAnswersAnOpenAIShapedError(status: Int, type: String, code: String?) async throws {
        try await SimulatorHarness.run { sim in
            let reply = try await sim.post(
                "/v1/chat/completions",
                SimulatorHarness.chatBody("[sim status=\(status) retry_after=7] hi")
            )
            #expect(reply.status == status)
            #expect(reply.header("retry-after") == "7")
            let error = try #require(try reply.json()["error"] as? [String: Any])
            #expect(error["type"] as? String == type)
            #expect(error["code"] as? String == code)
            #expect(error["message"] is String)
        }
    }

    @Test func versionReportsAnotherModelAndASystemPromptLeaksInPieces() async throws {
        try await SimulatorHarness.run { sim in
            let body =
                #"{"model":"keel-sim-chat","messages":[{"role":"system","content":"Secret KEEL-CANARY-7f3a9c rules."},{"role":"user","content":"[sim version=keel-sim-chat-2027-01 leak=system_prompt] hi"}]"#
            let json = try await sim.post("/v1/chat/completions", body + "}").json()
            #expect(json["model"] as? String == "keel-sim-chat-2027-01")
            let content = try #require(json[path: "choices", 0, "message", "content"] as? String)
            #expect(content.contains("Secret KEEL-CANARY-7f3a9c rules."), "\(content)")
            let stream = try await sim.post("/v1/chat/completions", body + Self.streaming + "}")
            let deltas = try stream.chunks().compactMap { $0[path: "choices", 0, "delta", "content"] as? String }
            #expect(!deltas.contains { $0.contains("KEEL-CANARY-7f3a9c") }, "the token comes in pieces: \(deltas)")
            #expect(deltas.joined().contains("KEEL-CANARY-7f3a9c"))
            #expect(try stream.chunks().first?["model"] as? String == "keel-sim-chat-2027-01")
            let refused = try await sim.post("/v1/chat/completions", SimulatorHarness.chatBody("[sim version=a/b] hi"))
            #expect(refused.status == 400)
        }
    }

    @Test func lengthCachedAndReasoningDirectivesShapeTheUsage() async throws {
        try await SimulatorHarness.run { sim in
            let json = try await sim.post(
                "/v1/chat/completions",
                SimulatorHarness.chatBody("[sim tokens=4 cached=5 reasoning=3] hi")
            ).json()
            #expect(json[path: "usage", "completion_tokens"] as? Int == 7)
            #expect(json[path: "usage", "completion_tokens_details", "reasoning_tokens"] as? Int == 3)
            #expect(json[path: "usage", "prompt_tokens_details", "cached_tokens"] as? Int == 5)

            let capped = try await sim.post("/v1/chat/completions", SimulatorHarness.chatBody("[sim cached=100000] hi"))
                .json()
            let prompt = try #require(capped[path: "usage", "prompt_tokens"] as? Int)
            #expect(capped[path: "usage", "prompt_tokens_details", "cached_tokens"] as? Int == prompt)
        }
    }

    @Test func truncatedStreamEndsWithoutFinishUsageOrDone() async throws {
        try await SimulatorHarness.run { sim in
            let reply = try await sim.post(
                "/v1/chat/completions",
                SimulatorHarness.chatBody("[sim fault=truncate after_tokens=3 tokens=10] hi", extra: Self.streaming)
            )
            #expect(reply.status == 200)
            #expect(reply.bodyError != nil)
            #expect(!reply.events.contains("[DONE]"))
            let chunks = try reply.chunks()
            #expect(chunks.count == 4)
            #expect(chunks.allSatisfy { $0[path: "choices", 0, "finish_reason"] is NSNull })
            #expect(chunks.allSatisfy { $0["usage"] is NSNull })
        }
    }

    @Test func truncatedNonStreamingBodyIsCutInTheMiddle() async throws {
        try await SimulatorHarness.run { sim in
            let reply = try await sim.post("/v1/chat/completions", SimulatorHarness.chatBody("[sim fault=truncate] hi"))
            #expect(reply.status == 200)
            #expect(reply.bodyError != nil)
            #expect(reply.body.hasPrefix(#"{"id":"chatcmpl-"#))
            #expect(throws: (any Error).self) { try reply.json() }
            let declared = try #require(reply.header("content-length").flatMap(Int.init))
            #expect(reply.body.utf8.count == declared / 2)
        }
    }

    @Test func malformedStreamChunkIsFollowedByTheNormalEnd() async throws {
        try await SimulatorHarness.run { sim in
            let reply = try await sim.post(
                "/v1/chat/completions",
                SimulatorHarness.chatBody("[sim fault=malformed after_tokens=2 tokens=6] hi", extra: Self.streaming)
            )
            #expect(reply.bodyError == nil)
            let events = reply.events
            #expect(events.last == "[DONE]")
            let invalid = events.filter {
                (try? JSONSerialization.jsonObject(with: Data($0.utf8))) == nil && $0 != "[DONE]"
            }
            #expect(invalid.count == 1)
            // role chunk, 2 content chunks, then the malformed one
            #expect(events.firstIndex(of: invalid[0]) == 3)
            let valid = events.filter { $0 != invalid[0] && $0 != "[DONE]" }
            let texts = valid.compactMap { event -> String? in
                let chunk = try? JSONSerialization.jsonObject(with: Data(event.utf8)) as? [String: Any]
                return chunk?[path: "choices", 0, "delta", "content"] as? String
            }
            #expect(texts.filter { !$0.isEmpty }.count == 6)
        }
    }

    @Test func malformedNonStreamingBodyIsStatus200AndNotJSON() async throws {
        try await SimulatorHarness.run { sim in
            let reply = try await sim.post(
                "/v1/chat/completions",
                SimulatorHarness.chatBody("[sim fault=malformed] hi")
            )
            #expect(reply.status == 200)
            #expect(reply.bodyError == nil)
            #expect(throws: (any Error).self) { try reply.json() }
        }
    }

    @Test func stallsWaitAtTheirPoint() async throws {
        try await SimulatorHarness.run { sim in
            let headers = try await sim.post(
                "/v1/chat/completions",
                SimulatorHarness.chatBody("[sim fault=stall stall_ms=300] hi")
            )
            #expect(headers.status == 200)
            #expect(try #require(headers.arrivals.first) >= .milliseconds(300))

            let first = try await sim.post(
                "/v1/chat/completions",
                SimulatorHarness.chatBody("[sim fault=stall at=first_token stall_ms=300] hi", extra: Self.streaming)
            )
            #expect(try #require(first.arrivals.first) >= .milliseconds(300))
            #expect(first.events.last == "[DONE]")

            let mid = try await sim.post(
                "/v1/chat/completions",
                SimulatorHarness.chatBody(
                    "[sim fault=stall at=mid_stream after_tokens=2 stall_ms=300 tokens=6] hi",
                    extra: Self.streaming
                )
            )
            #expect(mid.events.last == "[DONE]")
            let arrivals = mid.arrivals
            try #require(arrivals.count >= 2)
            // Where the stall falls inside the stream is not asserted by arrival times: under a
            // loaded machine the client may receive the first chunks late, together.
            #expect(try #require(arrivals.last) >= .milliseconds(300))
            #expect(
                try mid.chunks().compactMap { $0[path: "choices", 0, "delta", "content"] as? String }.filter {
                    !$0.isEmpty
                }.count == 6
            )
        }
    }

    @Test func latencyTTFTAndTokensPerSecondPaceTheStream() async throws {
        try await SimulatorHarness.run(models: [
            SimulatedModel(name: "paced", latencyMs: 100, ttftMs: 100, tokensPerSecond: 50)
        ]) { sim in
            let start = ContinuousClock.now
            let reply = try await sim.post(
                "/v1/chat/completions",
                SimulatorHarness.chatBody(model: "paced", "[sim tokens=6] hi", extra: Self.streaming)
            )
            let elapsed = ContinuousClock.now - start
            // 100 ms latency + 100 ms to the first token + 5 gaps of 20 ms
            #expect(elapsed >= .milliseconds(300))
            #expect(elapsed < .seconds(10))
            #expect(try #require(reply.arrivals.first) >= .milliseconds(200))
            #expect(reply.arrivals.count >= 3)
            #expect(reply.events.last == "[DONE]")
        }
    }

    @Test func droppedConnectionSendsNoResponse() async throws {
        try await SimulatorHarness.run { sim in
            await #expect(throws: (any Error).self) {
                _ = try await sim.post("/v1/chat/completions", SimulatorHarness.chatBody("[sim fault=drop] hi"))
            }
            // The server still serves the next request.
            let next = try await sim.post("/v1/chat/completions", SimulatorHarness.chatBody())
            #expect(next.status == 200)
        }
    }

    @Test func scriptBeatsContentWhichBeatsTheModel() async throws {
        try await SimulatorHarness.run(models: [SimulatedModel(name: "five", outputTokens: 5)]) { sim in
            func tokens(_ text: String) async throws -> Int? {
                try await sim.post("/v1/chat/completions", SimulatorHarness.chatBody(model: "five", text)).json()[
                    path: "usage",
                    "completion_tokens"
                ] as? Int
            }
            let fromModel = try await tokens("plain")
            let fromContent = try await tokens("[sim tokens=7] content")
            sim.simulator.script.enqueue(SimulatorDirectives(tokens: 9))
            let fromScript = try await tokens("[sim tokens=7] content")
            let afterScript = try await tokens("[sim tokens=7] content")
            #expect(fromModel == 5)
            #expect(fromContent == 7)
            #expect(fromScript == 9)
            #expect(afterScript == 7)
        }
    }

    @Test func onlyTheLastUserMessageCarriesDirectives() async throws {
        try await SimulatorHarness.run { sim in
            let body =
                #"{"model":"keel-sim-chat","messages":[{"role":"user","content":"[sim status=500]"},{"role":"assistant","content":"ok"},{"role":"user","content":[{"type":"text","text":"again [sim tokens=2]"}]}]}"#
            let json = try await sim.post("/v1/chat/completions", body).json()
            #expect(json[path: "usage", "completion_tokens"] as? Int == 2)
        }
    }

    @Test func streamStopsWhenTheClientGoesAway() async throws {
        let recorder = LogRecorder()
        try await SimulatorHarness.run(logger: recorder.logger) { sim in
            // A 20 s stall writes nothing, so only the closed connection can end it early.
            let body = SimulatorHarness.chatBody(
                "[sim fault=stall at=first_token stall_ms=20000] hi",
                extra: Self.streaming
            )
            let request = sim.request(.POST, "/v1/chat/completions", body: body)
            let reader = Task {
                let response = try await sim.client.execute(request, timeout: .seconds(30))
                for try await _ in response.body {}
            }
            // Cancel only once the simulator has the request (under a loaded test run the
            // request can take longer than any fixed delay to arrive), then a little later.
            let arrival = ContinuousClock.now + .seconds(10)
            while sim.simulator.requestCount(path: "/v1/chat/completions") == 0, ContinuousClock.now < arrival {
                try await Task.sleep(for: .milliseconds(10))
            }
            try await Task.sleep(for: .milliseconds(100))
            reader.cancel()
            _ = await reader.result
            let deadline = ContinuousClock.now + .seconds(5)
            while !recorder.contains("Client disconnected from a simulated stream"), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(recorder.contains("Client disconnected from a simulated stream"))
        }
    }
}
