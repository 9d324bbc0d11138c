import KeelCore
import NIOCore

/// Assembles server-sent events from a byte stream in any chunking, for the translating stream
/// decoders of both dialects: `event:` names the event, `data:` lines accumulate (joined by
/// `\n`), a blank line dispatches, and comment lines (`:`) and other fields are ignored.
///
/// Source: https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
struct SSEEventReader: Sendable {
    struct Event: Sendable, Equatable {
        var name: String?
        var data: String
    }

    private var splitter = SSELineSplitter()
    private var name: String?
    private var data: String?

    init() {}

    /// The events that `chunk` completes, in order.
    mutating func feed(_ chunk: ByteBuffer) throws(KeelError) -> [Event] {
        var events: [Event] = []
        var name = self.name
        var data = self.data
        do {
            try self.splitter.feed(chunk) { line, _ in
                if line.isEmpty {
                    if let pending = data { events.append(Event(name: name, data: pending)) }
                    name = nil
                    data = nil
                    return
                }
                if line[0] == UInt8(ascii: ":") { return }
                let colon = line.firstIndex(of: UInt8(ascii: ":")) ?? line.count
                let field = String(decoding: UnsafeRawBufferPointer(rebasing: line[0..<colon]), as: UTF8.self)
                var valueStart = Swift.min(colon + 1, line.count)
                if valueStart < line.count && line[valueStart] == UInt8(ascii: " ") { valueStart += 1 }
                let value = String(decoding: UnsafeRawBufferPointer(rebasing: line[valueStart...]), as: UTF8.self)
                switch field {
                case "event": name = value
                case "data": data = data.map { $0 + "\n" + value } ?? value
                default: break
                }
            }
        } catch {
            throw .upstreamBadResponse("The upstream provider sent a stream line longer than the limit.")
        }
        self.name = name
        self.data = data
        return events
    }

    /// Parses an event's data as JSON.
    static func json(_ event: Event) throws(KeelError) -> JSONValue {
        do {
            return try JSONValue(parsing: event.data, maxDepth: 128)
        } catch {
            throw .upstreamBadResponse("The upstream provider sent a stream event that is not JSON.")
        }
    }
}
