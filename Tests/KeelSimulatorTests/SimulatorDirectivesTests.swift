import KeelSimulator
import Testing

@Suite("SimulatorDirectives text form")
struct SimulatorDirectivesTests {
    @Test func everyKeyParsesAndPrintsBack() throws {
        let text =
            "status=429 retry_after=2 latency_ms=10 ttft_ms=20 tps=30 tokens=40 cached=5 reasoning=6 fault=stall after_tokens=3 stall_ms=100 at=mid_stream"
        let directives = try SimulatorDirectives(parsing: text)
        #expect(
            directives
                == SimulatorDirectives(
                    status: 429, retryAfter: 2, latencyMs: 10, ttftMs: 20, tokensPerSecond: 30, tokens: 40, cached: 5,
                    reasoning: 6, fault: .stall, afterTokens: 3, stallMs: 100, stallAt: .midStream
                )
        )
        #expect(directives.description == text)
        #expect(try SimulatorDirectives(parsing: directives.description) == directives)
    }

    @Test(arguments: ["status", "status=200", "tokens=-1", "tps=fast", "fault=explode", "at=end", "colour=blue"])
    func invalidTextIsRefusedWithAMessage(_ text: String) {
        #expect(throws: SimulatorDirectives.ParseError.self) { try SimulatorDirectives(parsing: text) }
    }

    @Test func emptyTextGivesEmptyDirectives() throws {
        #expect(try SimulatorDirectives(parsing: "  ") == SimulatorDirectives())
    }

    @Test func mergeKeepsSetKnobsAndFillsTheRestFromTheBase() {
        let base = SimulatorDirectives(latencyMs: 5, tokens: 10)
        let top = SimulatorDirectives(status: 503, tokens: 3)
        #expect(top.merged(over: base) == SimulatorDirectives(status: 503, latencyMs: 5, tokens: 3))
    }
}
