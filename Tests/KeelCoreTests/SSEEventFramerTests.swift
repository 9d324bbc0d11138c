import KeelCore
import NIOCore
import Testing

@Suite("SSEEventFramer")
struct SSEEventFramerTests {
    struct Seen: Equatable {
        var name: String?
        var data: String
    }

    /// Feeds `text` in pieces of `size` bytes (0: whole), then ends it; returns the events and
    /// the bytes released. `drop` decides which events are removed.
    static func frame(_ text: String, size: Int = 0, drop: (Seen) -> Bool = { _ in false }) -> (events: [Seen], output: String) {
        var framer = SSEEventFramer()
        var events: [Seen] = []
        var output = ""
        let bytes = Array(text.utf8)
        let step = size == 0 ? max(1, bytes.count) : size
        let handler: SSEEventFramer.EventHandler = { event in
            let seen = Seen(name: event.name.map { String(decoding: $0, as: UTF8.self) }, data: String(decoding: event.data, as: UTF8.self))
            events.append(seen)
            return !drop(seen)
        }
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + step)
            output += String(buffer: framer.feed(ByteBuffer(bytes: bytes[offset..<end]), onEvent: handler))
            offset = end
        }
        output += String(buffer: framer.finish(onEvent: handler))
        return (events, output)
    }

    static let sizes = [0, 1, 2, 3, 5, 17]

    @Test(arguments: sizes)
    func everyLineEndingOfTheSpecificationEndsALine(size: Int) {
        let text = "data: a\n\ndata: b\r\n\r\ndata: c\r\rdata:d\r\n\n"
        let (events, output) = Self.frame(text, size: size)
        #expect(events == [Seen(data: "a"), Seen(data: "b"), Seen(data: "c"), Seen(data: "d")])
        #expect(output == text)
    }

    @Test(arguments: sizes)
    func fieldsCommentsAndMultiLineDataAreReadAsTheSpecificationSays(size: Int) {
        let text = """
            : keep-alive

            id: 7
            retry: 3000
            event: message_delta
            data: {"a":
            data:  1}
            : a comment inside
            unknown: x

            data

            \u{FEFF}
            """
        let (events, output) = Self.frame("\u{FEFF}" + text, size: size)
        #expect(events == [Seen(name: "message_delta", data: "{\"a\":\n 1}"), Seen(data: "")])
        #expect(output == "\u{FEFF}" + text)
    }

    @Test(arguments: sizes)
    func aDroppedEventLeavesNoByteOfItsOwn(size: Int) {
        let text = "data: keep\n\ndata: drop\ndata: me\r\n\r\ndata: [DONE]\n\n"
        let (events, output) = Self.frame(text, size: size) { $0.data.hasPrefix("drop") }
        #expect(events.map(\.data) == ["keep", "drop\nme", "[DONE]"])
        #expect(output == "data: keep\n\ndata: [DONE]\n\n")
    }

    @Test func bytesOfAnUnfinishedEventAreHeldUntilItsBlankLine() {
        var framer = SSEEventFramer()
        var seen: [String] = []
        let handler: SSEEventFramer.EventHandler = { seen.append(String(decoding: $0.data, as: UTF8.self)); return true }
        #expect(String(buffer: framer.feed(ByteBuffer(string: ": ping\n\ndata: {\"a\":1}\n"), onEvent: handler)) == ": ping\n\n")
        #expect(seen.isEmpty)
        #expect(String(buffer: framer.feed(ByteBuffer(string: "\ndata: [DO"), onEvent: handler)) == "data: {\"a\":1}\n\n")
        #expect(seen == [#"{"a":1}"#])
        // The stream ended without the last event's line end: the event is read, its bytes released.
        #expect(String(buffer: framer.finish(onEvent: handler)) == "data: [DO")
        #expect(seen == [#"{"a":1}"#, "[DO"])
    }

    @Test func aChunkOfWholeEventsIsReturnedWithoutACopy() {
        var framer = SSEEventFramer()
        let chunk = ByteBuffer(string: "data: 1\n\ndata: 2\n\n")
        let output = framer.feed(chunk) { _ in true }
        #expect(output == chunk)
        chunk.withUnsafeReadableBytes { original in
            output.withUnsafeReadableBytes { forwarded in #expect(original.baseAddress == forwarded.baseAddress) }
        }
    }

    @Test func anOverlongEventMakesTheFramerPassTheRestThrough() {
        var framer = SSEEventFramer(maxEventLength: 8)
        let output = framer.feed(ByteBuffer(string: "data: 0123456789")) { _ in true }
        #expect(framer.overflowed)
        #expect(String(buffer: output) == "data: 0123456789")
        #expect(String(buffer: framer.feed(ByteBuffer(string: "\n\n")) { _ in true }) == "\n\n")
    }
}
