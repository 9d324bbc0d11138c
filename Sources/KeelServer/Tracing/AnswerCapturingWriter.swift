import Hummingbird
import HTTPTypes
import KeelCore
import KeelProviders
import NIOCore

/// The response writer of a stream whose answer goes on its span (`tracing.capture_content`):
/// the bytes the client receives are read back as its dialect's events and added to the
/// request's trace.
///
/// It wraps the writer itself, not a pipe, so whatever reaches the client is what the span
/// shows: a passed-through or translated stream, a resumed stream's continuation, a cached one.
/// Bytes that cannot be read back stop the reading; the client's stream is unaffected.
struct AnswerCapturingWriter: ResponseBodyWriter {
    private var inner: any ResponseBodyWriter
    private var decoder: (any ChatStreamDecoder)?
    private let trace: RequestTrace

    /// `writer` itself when `trace` does not capture contents or `dialect` has no stream decoder.
    static func wrapping(_ writer: any ResponseBodyWriter, trace: RequestTrace?, dialect: APIDialect) -> any ResponseBodyWriter {
        guard let trace, trace.capturesContent, let decoder = ChatDialects.upstream(dialect)?.makeStreamDecoder() else {
            return writer
        }
        return AnswerCapturingWriter(inner: writer, decoder: decoder, trace: trace)
    }

    private init(inner: any ResponseBodyWriter, decoder: any ChatStreamDecoder, trace: RequestTrace) {
        self.inner = inner
        self.decoder = decoder
        self.trace = trace
    }

    mutating func write(_ buffer: ByteBuffer) async throws {
        try await self.inner.write(buffer)
        guard self.decoder != nil else { return }
        do {
            self.trace.recordAnswer(try self.decoder!.decode(buffer))
        } catch {
            self.decoder = nil
        }
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        try await self.inner.finish(trailingHeaders)
    }
}
