import NIOCore

/// The bytes of one streamed answer in one dialect's framing, cut where ``ChatStream`` paces and
/// faults it.
///
/// A stream is the ``opening``, then ``deltaCount`` content deltas (one token each, or one piece
/// of tool-call arguments), then the ``closing``. Framing between deltas (a block that ends and
/// the next one that starts) rides on the delta after it; framing after the last delta is in the
/// closing, so a truncated stream never says how it would have ended.
protocol StreamRenderer: Sendable {
    /// The response's `content-type`.
    var contentType: String { get }
    /// The number of paced content deltas.
    var deltaCount: Int { get }
    /// Everything before the first delta (role chunk, `message_start`, `messageStart`).
    var opening: ByteBuffer { get }
    /// The delta at `index`; `final` when it is the last one of a stream that ends normally.
    func delta(at index: Int, final: Bool) -> ByteBuffer
    /// Everything after the last delta: finish reasons, usage, the end marker.
    var closing: ByteBuffer { get }
    /// One event whose data is not valid JSON (`fault=malformed`).
    var malformed: ByteBuffer { get }
    /// The in-stream error event that ends the stream (`fault=error`).
    func error(_ error: SimulatorError) -> ByteBuffer
}

extension ByteBuffer {
    /// Appends server-sent event `data` with an `event:` line when `event` is given.
    mutating func writeServerSentEvent(_ data: String, event: String? = nil) {
        if let event {
            self.writeString("event: ")
            self.writeString(event)
            self.writeString("\n")
        }
        self.writeString("data: ")
        self.writeString(data)
        self.writeString("\n\n")
    }
}
