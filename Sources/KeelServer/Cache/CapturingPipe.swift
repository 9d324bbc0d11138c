import KeelCore
import NIOCore

/// A ``StreamPipe`` that keeps a copy of everything it hands the client, for the response cache,
/// and passes the copy on only when the stream ends complete.
///
/// The relay calls ``finish()`` only for a stream that ended with its terminator and reached the
/// client whole; a broken, refused or abandoned stream ends through ``failure(_:)`` or not at
/// all, so it is never stored. Capture stops (and nothing is stored) once the stream outgrows
/// `limit` bytes, so a long stream costs at most that much memory.
struct CapturingPipe: StreamPipe {
    private var inner: any StreamPipe
    private var captured: ByteBuffer?
    private let limit: Int
    private let complete: @Sendable (ByteBuffer, StreamAccounting) -> Void

    /// - Parameters:
    ///   - inner: the pipe of the stream.
    ///   - pending: what `inner` already produced (``StreamStart/pending``), sent before the rest.
    ///   - complete: called once, from ``finish()``, with the whole stream and its accounting.
    init(_ inner: any StreamPipe, pending: ByteBuffer, limit: Int, complete: @escaping @Sendable (ByteBuffer, StreamAccounting) -> Void) {
        self.inner = inner
        self.limit = limit
        self.complete = complete
        self.captured = ByteBuffer()
        self.capture(pending)
    }

    var accounting: StreamAccounting { self.inner.accounting }

    mutating func process(_ chunk: ByteBuffer) -> ByteBuffer {
        let forward = self.inner.process(chunk)
        self.capture(forward)
        return forward
    }

    mutating func end() -> ByteBuffer {
        let held = self.inner.end()
        self.capture(held)
        return held
    }

    mutating func finish() -> ByteBuffer {
        let end = self.inner.finish()
        self.capture(end)
        if let captured = self.captured, self.inner.accounting.isComplete {
            self.complete(captured, self.inner.accounting)
        }
        self.captured = nil
        return end
    }

    mutating func failure(_ error: KeelError) -> ByteBuffer {
        self.captured = nil
        return self.inner.failure(error)
    }

    private mutating func capture(_ bytes: ByteBuffer) {
        guard self.captured != nil, bytes.readableBytes > 0 else { return }
        guard self.captured!.readableBytes + bytes.readableBytes <= self.limit else {
            self.captured = nil
            return
        }
        self.captured!.writeImmutableBuffer(bytes)
    }
}
