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
/// passed through or translated) against an agent's `tools`, event by event.
///
/// Events pass whole, as the inner pipe wrote them (the ``SSEEventFramer`` releases bytes up to
/// the last complete event, so nothing waits for more than its own event). The event that starts
/// a call outside the scope is dropped with everything after it, and ``refusal`` is set: the relay
/// ends the stream with its error event, or, when nothing has reached the client yet, the request
/// is refused whole. Usage and accounting are the inner pipe's.
struct ToolScopePipe: StreamPipe {
    private var inner: any StreamPipe
    private let dialect: APIDialect
    private let agent: Agent
    private var framer = SSEEventFramer()
    private(set) var refusal: KeelError?

    init(inner: any StreamPipe, dialect: APIDialect, agent: Agent) {
        self.inner = inner
        self.dialect = dialect
        self.agent = agent
    }

    /// `start` with its pipe wrapped and what it read so far checked.
    static func scoping(_ start: StreamStart, dialect: APIDialect, agent: Agent) -> StreamStart {
        var pipe = ToolScopePipe(inner: start.pipe, dialect: dialect, agent: agent)
        let pending = pipe.check(start.pending, final: false)
        return StreamStart(pending: pending, pipe: pipe, rest: start.rest, contentAt: start.contentAt)
    }

    var accounting: StreamAccounting { self.inner.accounting }

    var guardVerdict: GuardVerdict? { self.inner.guardVerdict }

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

    /// The client's bytes for `bytes`: whole events, up to the one that calls outside the scope.
    private mutating func check(_ bytes: ByteBuffer, final: Bool) -> ByteBuffer {
        guard self.refusal == nil else { return ByteBuffer() }
        let (dialect, agent) = (self.dialect, self.agent)
        var refusal: KeelError?
        let screen: SSEEventFramer.EventHandler = { event in
            guard refusal == nil else { return false }
            refusal = AnswerToolScope.refusal(CalledTools.calls(inEvent: event.data, dialect: dialect), agent: agent)
            return refusal == nil
        }
        var output = bytes.readableBytes > 0 ? self.framer.feed(bytes, onEvent: screen) : ByteBuffer()
        if final {
            var rest = self.framer.finish(onEvent: screen)
            output.writeBuffer(&rest)
        }
        self.refusal = refusal
        return output
    }
}
