import KeelCore
import NIOCore

/// Assembles server-sent events from a byte stream in any chunking, for the translating stream
/// decoders: an ``SSEEventFramer`` reads the framing (line ends, `data:` lines joined by `\n`,
/// `event:` names, comments and other fields ignored), and each event's data is kept as text.
///
/// Source: https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
struct SSEEventReader: Sendable {
    struct Event: Sendable, Equatable {
        var name: String?
        var data: String
    }

    private var framer = SSEEventFramer()

    init() {}

    /// The events that `chunk` completes, in order.
    mutating func feed(_ chunk: ByteBuffer) throws(KeelError) -> [Event] {
        var events: [Event] = []
        _ = self.framer.feed(chunk) { event in
            events.append(
                Event(
                    name: event.name.map { String(decoding: $0, as: UTF8.self) },
                    data: String(decoding: event.data, as: UTF8.self)
                )
            )
            return true
        }
        if self.framer.overflowed {
            throw .upstreamBadResponse("The upstream provider sent a stream event longer than the limit.")
        }
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
