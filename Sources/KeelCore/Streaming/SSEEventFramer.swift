public import NIOCore

/// Frames a server-sent-events byte stream into events, across chunk boundaries, as the SSE
/// specification reads one: lines end with LF, CRLF or a lone CR; `data:` with or without a
/// space; several `data:` lines joined by LF; `event:` names the event; `id:`, `retry:`, unknown
/// fields and comment lines (`: keep-alive`) are ignored; a blank line ends the event; a UTF-8
/// byte-order mark at the start is skipped.
///
/// The framer also decides what reaches the client: bytes are released only up to the end of the
/// last complete event (a client cannot use an event before its blank line anyway), so an event
/// the owner drops is dropped whole, and a stream cut inside an event leaves nothing half-sent
/// before the gateway's own error event. A chunk made of whole events, the usual case, is
/// returned as it is, without a copy.
///
/// Source: https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
public struct SSEEventFramer: Sendable {
    /// One dispatched event. Valid only during the handler's call.
    public struct Event {
        /// The `event:` field's value, when the event has one.
        public let name: UnsafeRawBufferPointer?
        /// The `data:` field values, joined by LF.
        public let data: UnsafeRawBufferPointer
    }

    /// Called for each complete event with data, in order. Returns whether the event's bytes go
    /// to the client (`false` drops them).
    public typealias EventHandler = (Event) -> Bool

    /// The longest event held while waiting for its end; a longer one makes the framer give up
    /// (``overflowed``) and pass the rest of the stream through unread.
    public let maxEventLength: Int
    /// An event outgrew ``maxEventLength``: the stream is no longer read.
    public private(set) var overflowed = false

    /// Bytes of the incomplete event (or line) at the end of what was fed, from its first byte.
    private var held: ByteBuffer?
    /// Where, in `held`, the lines not yet split begin.
    private var scanned = 0
    /// The pending event's `data:` values, as ranges in `held`.
    private var dataRanges: [Range<Int>] = []
    /// The pending event's `event:` value, as a range in `held`.
    private var nameRange: Range<Int>?
    /// The pending event has a field line (not only comments).
    private var hasFields = false
    /// The last line ended with a CR at the end of a chunk: an LF that starts the next belongs to it.
    private var skipLineFeed = false
    /// The last event was dropped: the LF of its CRLF end, when it comes in the next chunk, goes too.
    private var droppedLast = false
    private var atStreamStart = true
    /// Where several `data:` lines are joined.
    private var joined: [UInt8] = []

    public init(maxEventLength: Int = 16 << 20) {
        self.maxEventLength = maxEventLength
    }

    /// Reads `chunk`, reports each event it completes, and returns the bytes to send the client:
    /// everything up to the end of the last complete event, less the events the handler dropped.
    public mutating func feed(_ chunk: ByteBuffer, onEvent: EventHandler) -> ByteBuffer {
        if self.overflowed { return chunk }
        var work: ByteBuffer
        if var held = self.held {
            self.held = nil
            held.writeImmutableBuffer(chunk)
            work = held
        } else {
            work = chunk
        }
        return self.release(work, final: false, onEvent: onEvent)
    }

    /// The stream ended: reports an event left without its blank line (or its last line's end)
    /// as if it had been completed, and returns the bytes still held.
    public mutating func finish(onEvent: EventHandler) -> ByteBuffer {
        guard !self.overflowed, let held = self.held else { return ByteBuffer() }
        self.held = nil
        return self.release(held, final: true, onEvent: onEvent)
    }

    private mutating func release(_ work: ByteBuffer, final: Bool, onEvent: EventHandler) -> ByteBuffer {
        var dropped: [Range<Int>] = []
        let complete = work.withUnsafeReadableBytes { bytes in
            self.scan(bytes, final: final, dropped: &dropped, onEvent: onEvent)
        }
        let restLength = work.readableBytes - complete
        if restLength > 0 {
            guard restLength <= self.maxEventLength else {
                self.overflowed = true
                self.reset()
                return work
            }
            if complete == 0 {
                // The whole of it is one unfinished event: keep the buffer, whose next write
                // appends in place (or copies once, when the upstream reader still shares it).
                self.held = work
            } else {
                var owned = ByteBufferAllocator().buffer(capacity: max(256, restLength * 2))
                owned.writeImmutableBuffer(work.getSlice(at: work.readerIndex + complete, length: restLength)!)
                self.held = owned
            }
        }
        if dropped.isEmpty {
            return complete == work.readableBytes ? work : work.getSlice(at: work.readerIndex, length: complete)!
        }
        var output = ByteBufferAllocator().buffer(capacity: complete)
        var position = 0
        for range in dropped {
            if range.lowerBound > position {
                output.writeImmutableBuffer(work.getSlice(at: work.readerIndex + position, length: range.lowerBound - position)!)
            }
            position = range.upperBound
        }
        if complete > position {
            output.writeImmutableBuffer(work.getSlice(at: work.readerIndex + position, length: complete - position)!)
        }
        return output
    }

    private mutating func reset() {
        self.held = nil
        self.scanned = 0
        self.dataRanges.removeAll(keepingCapacity: true)
        self.nameRange = nil
        self.hasFields = false
    }

    /// Splits the lines of `bytes` from ``scanned`` on; returns where the last complete event
    /// ends, with the pending event's ranges rebased to start there.
    private mutating func scan(
        _ bytes: UnsafeRawBufferPointer,
        final: Bool,
        dropped: inout [Range<Int>],
        onEvent: EventHandler
    ) -> Int {
        var lineStart = self.scanned
        var eventStart = 0
        if self.atStreamStart && bytes.count >= 3 {
            self.atStreamStart = false
            if bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF { lineStart = 3 }
        }
        while lineStart < bytes.count {
            if self.skipLineFeed {
                self.skipLineFeed = false
                if bytes[lineStart] == UInt8(ascii: "\n") {
                    if !self.hasFields && self.droppedLast { dropped.append(lineStart..<(lineStart + 1)) }
                    lineStart += 1
                    if !self.hasFields { eventStart = lineStart }
                    continue
                }
            }
            let lineFeed = ByteSearch.firstIndex(of: UInt8(ascii: "\n"), in: bytes, from: lineStart)
            let searchEnd = lineFeed ?? bytes.count
            let lineEnd: Int
            let next: Int
            if let carriageReturn = ByteSearch.firstIndex(
                of: UInt8(ascii: "\r"), in: UnsafeRawBufferPointer(rebasing: bytes[..<searchEnd]), from: lineStart)
            {
                lineEnd = carriageReturn
                if let lineFeed, lineFeed == carriageReturn + 1 {
                    next = lineFeed + 1
                } else {
                    next = carriageReturn + 1
                    if next == bytes.count { self.skipLineFeed = true }
                }
            } else if let lineFeed {
                lineEnd = lineFeed
                next = lineFeed + 1
            } else if final {
                lineEnd = bytes.count
                next = bytes.count
            } else {
                break
            }
            if lineEnd == lineStart {
                self.droppedLast = !self.dataRanges.isEmpty && !self.dispatch(bytes, onEvent: onEvent)
                if self.droppedLast { dropped.append(eventStart..<next) }
                self.clearEvent()
                eventStart = next
            } else if bytes[lineStart] == UInt8(ascii: ":") {
                if !self.hasFields { eventStart = next }
            } else {
                self.field(bytes, lineStart..<lineEnd)
            }
            lineStart = next
        }
        if final {
            if !self.dataRanges.isEmpty && !self.dispatch(bytes, onEvent: onEvent) {
                dropped.append(eventStart..<bytes.count)
            }
            self.clearEvent()
            self.scanned = 0
            return bytes.count
        }
        self.scanned = lineStart - eventStart
        if eventStart > 0 {
            for index in self.dataRanges.indices {
                self.dataRanges[index] = (self.dataRanges[index].lowerBound - eventStart)..<(self.dataRanges[index].upperBound - eventStart)
            }
            if let name = self.nameRange { self.nameRange = (name.lowerBound - eventStart)..<(name.upperBound - eventStart) }
        }
        return eventStart
    }

    private mutating func field(_ bytes: UnsafeRawBufferPointer, _ line: Range<Int>) {
        self.hasFields = true
        let lineBytes = UnsafeRawBufferPointer(rebasing: bytes[line])
        let colon = ByteSearch.firstIndex(of: UInt8(ascii: ":"), in: lineBytes).map { line.lowerBound + $0 } ?? line.upperBound
        var valueStart = min(colon + 1, line.upperBound)
        if valueStart < line.upperBound && bytes[valueStart] == UInt8(ascii: " ") { valueStart += 1 }
        let name = UnsafeRawBufferPointer(rebasing: bytes[line.lowerBound..<colon])
        if ByteSearch.equals(name, "data") {
            self.dataRanges.append(valueStart..<line.upperBound)
        } else if ByteSearch.equals(name, "event") {
            self.nameRange = valueStart..<line.upperBound
        }
    }

    private mutating func clearEvent() {
        self.dataRanges.removeAll(keepingCapacity: true)
        self.nameRange = nil
        self.hasFields = false
    }

    /// Reports the pending event; returns whether its bytes are kept.
    private mutating func dispatch(_ bytes: UnsafeRawBufferPointer, onEvent: EventHandler) -> Bool {
        let name = self.nameRange.map { UnsafeRawBufferPointer(rebasing: bytes[$0]) }
        if self.dataRanges.count == 1 {
            return onEvent(Event(name: name, data: UnsafeRawBufferPointer(rebasing: bytes[self.dataRanges[0]])))
        }
        self.joined.removeAll(keepingCapacity: true)
        for (offset, range) in self.dataRanges.enumerated() {
            if offset > 0 { self.joined.append(UInt8(ascii: "\n")) }
            self.joined.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[range]))
        }
        return self.joined.withUnsafeBytes { onEvent(Event(name: name, data: $0)) }
    }
}
