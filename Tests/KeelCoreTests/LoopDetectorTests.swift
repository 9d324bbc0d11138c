import KeelCore
import NIOCore
import Testing

/// The loop detectors on generated trajectories: every loop found, no legitimate long task
/// flagged. The figures are printed for the record.
@Suite("Agent loop detection on generated trajectories")
struct LoopDetectorTests {
    /// A small deterministic generator, so every run sees the same trajectories.
    struct Generator {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            self.state = self.state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((self.state >> 33) % UInt64(bound))
        }
    }

    /// One step of a trajectory: the chat body the agent sends and whether its call failed.
    struct Call {
        var body: String
        var fails = false
        var seconds: Double
    }

    /// An OpenAI or Anthropic chat body with `history`: (tool name, arguments, result) steps.
    static func body(
        _ task: String,
        _ history: [(String, String, String)],
        anthropic: Bool,
        extra: String = ""
    ) -> String {
        var messages = [#"{"role":"user","content":"\#(task)"}"#]
        for (index, (name, arguments, result)) in history.enumerated() {
            if anthropic {
                messages.append(
                    #"{"role":"assistant","content":[{"type":"tool_use","id":"t\#(index)","name":"\#(name)","input":\#(arguments)}]}"#
                )
                messages.append(
                    #"{"role":"user","content":[{"type":"tool_result","tool_use_id":"t\#(index)","content":"\#(result)"}]}"#
                )
            } else {
                let escaped = arguments.replacing("\"", with: "\\\"")
                messages.append(
                    #"{"role":"assistant","content":null,"tool_calls":[{"id":"c\#(index)","type":"function","function":{"name":"\#(name)","arguments":"\#(escaped)"}}]}"#
                )
                messages.append(#"{"role":"tool","tool_call_id":"c\#(index)","content":"\#(result)"}"#)
            }
        }
        return #"{"model":"m","messages":[\#(messages.joined(separator: ","))]\#(extra)}"#
    }

    /// Runs `calls` through a detector with `norm`; the first detection.
    static func detect(_ calls: [Call], norm: Double? = 10) -> LoopDetector.Kind? {
        var detector = LoopDetector(norm: norm)
        var time: Int64 = 1_000_000_000
        for (index, call) in calls.enumerated() {
            time += Int64(call.seconds * 1_000_000)
            let print = LoopFingerprint.of(ByteBuffer(string: call.body))
            let id = "r\(index)"
            if let kind = detector.record(
                .init(requestID: id, request: print.request, toolCall: print.toolCall, at: time)
            ) {
                return kind
            }
            if call.fails { detector.failed(id) }
        }
        return nil
    }

    /// A legitimate task of `length` steps: varied tools, pagination, retries with changed
    /// arguments, a failed call retried as it was.
    static func legitimate(_ generator: inout Generator, length: Int, anthropic: Bool) -> [Call] {
        var history: [(String, String, String)] = []
        var calls: [Call] = []
        var page = 1
        while calls.count < length {
            let seconds = Double(3 + generator.next(10))
            switch generator.next(5) {
            case 0:
                // Pagination: the same tool, the next page each time.
                for _ in 0..<(2 + generator.next(6)) {
                    history.append(("list_items", #"{"page":\#(page)}"#, "items of page \(page)"))
                    page += 1
                    calls.append(Call(body: Self.body("inventory", history, anthropic: anthropic), seconds: seconds))
                }
            case 1:
                // A fetch that fails, retried with another URL.
                let id = generator.next(1_000_000)
                history.append(("fetch", #"{"url":"https://a.example/\#(id)"}"#, "error: 404"))
                calls.append(Call(body: Self.body("inventory", history, anthropic: anthropic), seconds: seconds))
                history.append(("fetch", #"{"url":"https://b.example/\#(id)"}"#, "ok"))
                calls.append(Call(body: Self.body("inventory", history, anthropic: anthropic), seconds: seconds))
            case 2:
                // A call that fails upstream, sent once more as it was.
                let body = Self.body(
                    "inventory",
                    history,
                    anthropic: anthropic,
                    extra: #","temperature":0.\#(generator.next(9))"#
                )
                calls.append(Call(body: body, fails: true, seconds: seconds))
                calls.append(Call(body: body, seconds: 1))
            default:
                let query = generator.next(1_000_000)
                history.append(("search", #"{"q":"term \#(query)"}"#, "results for \(query)"))
                calls.append(Call(body: Self.body("inventory", history, anthropic: anthropic), seconds: seconds))
            }
        }
        return Array(calls.prefix(length))
    }

    /// A loop of `kind` after a legitimate prefix.
    static func loop(_ kind: LoopDetector.Kind, _ generator: inout Generator, anthropic: Bool) -> [Call] {
        var calls = Self.legitimate(&generator, length: generator.next(30), anthropic: anthropic)
        let base = Self.body(
            "stuck \(generator.next(1_000_000))",
            [("search", #"{"q":"x"}"#, "nothing")],
            anthropic: anthropic
        )
        switch kind {
        case .repeatedRequest:
            for _ in 0..<(3 + generator.next(5)) {
                calls.append(Call(body: base, seconds: Double(2 + generator.next(5))))
            }
        case .alternatingRequests:
            let other = Self.body("stuck other \(generator.next(1_000_000))", [], anthropic: anthropic)
            for index in 0..<(6 + generator.next(4)) {
                calls.append(Call(body: index.isMultiple(of: 2) ? base : other, seconds: Double(2 + generator.next(5))))
            }
        case .repeatedToolCall:
            var history: [(String, String, String)] = [("read", #"{"path":"/tmp/a"}"#, "permission denied")]
            for _ in 0..<(3 + generator.next(5)) {
                calls.append(
                    Call(
                        body: Self.body("read it", history, anthropic: anthropic),
                        seconds: Double(2 + generator.next(5))
                    )
                )
                history.append(("read", #"{"path":"/tmp/a"}"#, "permission denied"))
            }
        case .stepRate:
            var history: [(String, String, String)] = []
            for index in 0..<120 {
                history.append(("poll", #"{"n":\#(index)}"#, "pending \(index)"))
                calls.append(Call(body: Self.body("poll", history, anthropic: anthropic), seconds: 0.2))
            }
        }
        return calls
    }

    @Test func everyLoopIsFoundAndNoLegitimateLongTaskIsFlagged() {
        var generator = Generator(state: 42)
        var found: [LoopDetector.Kind: Int] = [:]
        var trials = 0
        var wrongKind = 0
        for anthropic in [false, true] {
            for kind in LoopDetector.Kind.allCases {
                for _ in 0..<30 {
                    trials += 1
                    let detected = Self.detect(Self.loop(kind, &generator, anthropic: anthropic))
                    if let detected { found[kind, default: 0] += 1 }
                    if let detected, detected != kind { wrongKind += 1 }
                }
            }
        }
        var falseDetections = 0
        var legitimateSteps = 0
        for anthropic in [false, true] {
            for _ in 0..<100 {
                let calls = Self.legitimate(&generator, length: 40 + generator.next(80), anthropic: anthropic)
                legitimateSteps += calls.count
                if Self.detect(calls) != nil { falseDetections += 1 }
            }
        }
        let detected = found.values.reduce(0, +)
        print(
            "loop detection: \(detected)/\(trials) loops found (\(found.map { "\($0.key.rawValue) \($0.value)" }.sorted().joined(separator: ", "))), "
                + "\(falseDetections)/200 legitimate tasks flagged (\(legitimateSteps) steps)"
        )
        #expect(detected == trials)
        #expect(wrongKind == 0)
        #expect(falseDetections == 0)
    }

    @Test func aFailedStepRetriedIsNoLoopButAThirdTimeIs() {
        let body = Self.body("t", [], anthropic: false)
        #expect(
            Self.detect([
                Call(body: body, fails: true, seconds: 1), Call(body: body, fails: true, seconds: 1),
                Call(body: body, seconds: 1),
            ]) == nil
        )
        #expect(
            Self.detect([Call(body: body, seconds: 1), Call(body: body, seconds: 1), Call(body: body, seconds: 1)])
                == .repeatedRequest
        )
        // Without a norm the floor holds: 30 steps a minute are fine, 31 are not.
        let steady = (0..<31).map {
            Call(body: Self.body("t", [("s", #"{"n":\#($0)}"#, "r")], anthropic: false), seconds: 1.9)
        }
        #expect(Self.detect(Array(steady.prefix(30)), norm: nil) == nil)
        #expect(Self.detect(steady, norm: nil) == .stepRate)
    }
}
