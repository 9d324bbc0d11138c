import Hummingbird
import KeelCore
import NIOCore
import Synchronization

/// The tool calls an answer made, for its step of a task (`tool_calls` on the task's timeline).
/// A complete answer is read whole (``names(inAnswer:dialect:)``); a stream is read back from the
/// bytes the client received (passed through, translated or resumed alike), event by event, by a
/// writer around the response: events without a tool call cost a byte search. Only requests of a
/// task pay for it.
final class AnswerToolCalls: Sendable {
    private struct State {
        var framer = SSEEventFramer()
        var names: [String] = []
    }

    private let dialect: APIDialect
    private let state = Mutex(State())

    init(dialect: APIDialect) {
        self.dialect = dialect
    }

    func update(_ buffer: ByteBuffer) {
        let dialect = self.dialect
        self.state.withLock { state in
            var found: [String] = []
            _ = state.framer.feed(buffer) { event in
                found += CalledTools.calls(inEvent: event.data, dialect: dialect).map(\.name)
                return true
            }
            state.names += found
        }
    }

    /// Puts the calls on `record` (its `tool_name`, comma-separated, as a step lists them).
    func finish(_ record: inout RequestRecord) {
        let names = self.state.withLock { $0.names }
        if !names.isEmpty { record.toolName = Self.joined(names) }
    }

    /// The names of the tools a complete answer calls, as a record keeps them; `nil` for none.
    static func names(inAnswer body: ByteBuffer, dialect: APIDialect) -> String? {
        let names = CalledTools.calls(inAnswer: body, dialect: dialect).map(\.name)
        return names.isEmpty ? nil : Self.joined(names)
    }

    /// At most 20 names, and at most 512 bytes in all.
    private static func joined(_ names: [String]) -> String {
        String(names.prefix(20).joined(separator: ",").utf8.prefix(512)) ?? ""
    }
}

/// The response writer that reads the answer's tool calls from the bytes the client is sent.
enum AnswerToolCallsWriter {
    /// `writer` itself when the request is no task's step.
    static func wrapping(_ writer: any ResponseBodyWriter, calls: AnswerToolCalls?) -> any ResponseBodyWriter {
        guard let calls else { return writer }
        return ObservedWriter(inner: writer, observe: calls.update)
    }
}
