import KeelCore
import NIOCore

/// Holds the tool calls of an agent's answers to its `tools`: an answer calling a tool outside
/// them is not released.
///
/// A complete answer is checked whole (``refusal(forAnswer:dialect:agent:)``); a stream goes
/// through a ``ToolScopePipe``.
enum AnswerToolScope {
    /// The refusal for a complete answer in `dialect` that calls a tool outside `agent`'s scope,
    /// `nil` when every call is in it.
    static func refusal(forAnswer body: ByteBuffer, dialect: APIDialect, agent: Agent) -> KeelError? {
        Self.refusal(CalledTools.calls(inAnswer: body, dialect: dialect), agent: agent)
    }

    /// 403 `agent_scope_violation` naming the calls among `calls` outside `agent`'s tools; `nil`
    /// when there is none.
    static func refusal(_ calls: [CalledTools.Call], agent: Agent) -> KeelError? {
        let outside = calls.filter { !agent.mayUse(tool: $0.name, server: $0.server) }
        guard !outside.isEmpty else { return nil }
        var names: [String] = []
        for call in outside {
            let name = "'" + (call.server.map { $0 + "/" } ?? "") + call.name + "'"
            if !names.contains(name) { names.append(name) }
        }
        return .agentScopeViolation(
            "The model's answer calls " + (names.count == 1 ? "the tool " : "the tools ")
                + names.joined(separator: ", ")
                + ", outside the tools of the agent '\(agent.id)'; the answer was withheld."
        )
    }
}

/// A stream pipe that checks the tool calls of another pipe's output (the client's dialect,
/// passed through or translated) against an agent's `tools` and `approvals`, event by event.
///
/// Events pass whole, as the inner pipe wrote them (the ``SSEEventFramer`` releases bytes up to
/// the last complete event, so nothing waits for more than its own event). The event that starts
/// a call outside the scope is dropped with everything after it, and ``refusal`` is set: the relay
/// ends the stream with its error event, or, when nothing has reached the client yet, the request
/// is refused whole. The event that starts a call of a gated tool is held back with everything
/// after it (``heldCalls``, its arguments assembled as they stream): at the end of the answer the
/// relay asks the reviewers, then sends what was held (``releaseHeld()``) or ends the stream with
/// the denial. Usage and accounting are the inner pipe's.
struct ToolScopePipe: StreamPipe {
    private var inner: any StreamPipe
    private let dialect: APIDialect
    private let agent: Agent
    private var framer = SSEEventFramer()
    private var calls: StreamedToolCalls
    private(set) var refusal: KeelError?
    /// The events held since the first gated call, as SSE bytes.
    private var held = ByteBuffer()
    private var holding = false

    init(inner: any StreamPipe, dialect: APIDialect, agent: Agent) {
        self.inner = inner
        self.dialect = dialect
        self.agent = agent
        self.calls = StreamedToolCalls(dialect: dialect)
    }

    /// `start` with its pipe wrapped and what it read so far checked.
    static func scoping(_ start: StreamStart, dialect: APIDialect, agent: Agent) -> StreamStart {
        var pipe = ToolScopePipe(inner: start.pipe, dialect: dialect, agent: agent)
        let pending = pipe.check(start.pending, final: false)
        return StreamStart(pending: pending, pipe: pipe, rest: start.rest, contentAt: start.contentAt)
    }

    var accounting: StreamAccounting { self.inner.accounting }

    var guardVerdict: GuardVerdict? { self.inner.guardVerdict }

    var heldCalls: [StreamedToolCalls.Call] {
        guard self.holding, let policy = self.agent.approvals else { return [] }
        return self.calls.calls.filter { policy.gates(tool: $0.name, server: $0.server) }
    }

    mutating func releaseHeld() -> ByteBuffer {
        defer {
            self.held = ByteBuffer()
            self.holding = false
        }
        return self.held
    }

    mutating func process(_ chunk: ByteBuffer) -> ByteBuffer {
        self.check(self.inner.process(chunk), final: false)
    }

    mutating func end() -> ByteBuffer {
        self.check(self.inner.end(), final: true)
    }

    mutating func finish() -> ByteBuffer {
        // Translation's closing events (a stop, a usage chunk) start no call.
        self.inner.finish()
    }

    mutating func failure(_ error: KeelError) -> ByteBuffer {
        self.inner.failure(error)
    }

    /// The client's bytes for `bytes`: whole events, up to the one that calls outside the scope,
    /// less those held for approval.
    private mutating func check(_ bytes: ByteBuffer, final: Bool) -> ByteBuffer {
        guard self.refusal == nil else { return ByteBuffer() }
        let (dialect, agent, scoped, gates) = (self.dialect, self.agent, self.agent.tools != nil, self.agent.approvals)
        var refusal: KeelError?
        // Moved out while the framer (also ours) reads, so that writing them copies nothing.
        var holding = self.holding
        var held = ByteBuffer()
        swap(&held, &self.held)
        var calls = StreamedToolCalls(dialect: dialect)
        swap(&calls, &self.calls)
        let screen: SSEEventFramer.EventHandler = { event in
            guard refusal == nil else { return false }
            let started = CalledTools.calls(inEvent: event.data, dialect: dialect)
            if scoped, let outside = AnswerToolScope.refusal(started, agent: agent) {
                refusal = outside
                return false
            }
            guard let gates else { return true }
            calls.read(event.data)
            if !holding, started.contains(where: { gates.gates(tool: $0.name, server: $0.server) }) { holding = true }
            guard holding else { return true }
            if let name = event.name {
                held.writeStaticString("event: ")
                held.writeBytes(name)
                held.writeStaticString("\n")
            }
            for line in event.data.split(separator: 0x0A, omittingEmptySubsequences: false) {
                held.writeStaticString("data: ")
                held.writeBytes(line)
                held.writeStaticString("\n")
            }
            held.writeStaticString("\n")
            return false
        }
        var output = bytes.readableBytes > 0 ? self.framer.feed(bytes, onEvent: screen) : ByteBuffer()
        if final {
            var rest = self.framer.finish(onEvent: screen)
            output.writeBuffer(&rest)
        }
        self.refusal = refusal
        self.holding = holding
        self.held = held
        self.calls = calls
        return output
    }
}
