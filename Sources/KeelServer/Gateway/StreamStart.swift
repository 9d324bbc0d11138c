import KeelCore
import KeelProviders
import NIOCore

/// An upstream stream read up to its first content, before anything is sent to the client.
///
/// Until the first token the client has received nothing (not even the response head), so an
/// upstream that stalls, breaks, or sends an error or malformed event before it, or in the same
/// read as it, is still a failed *attempt*: the router retries or fails over. Only events without content (OpenAI's role chunk,
/// Anthropic's `message_start`, `ping`) are held, at most 64 KiB, and they go out with the first
/// token, so the client's time to first token does not change.
struct StreamStart: Sendable {
    /// Bytes for the client, already through the pipe, to send before the rest.
    let pending: ByteBuffer
    /// The pipe, with what it has seen so far.
    let pipe: any StreamPipe
    /// The rest of the upstream body (`nil` when it already ended).
    let rest: UpstreamBodyRemainder?
    /// When the first content arrived.
    let contentAt: ContinuousClock.Instant?

    /// Reads `response` through `pipe` until its first content, its end, or an error event.
    ///
    /// - Throws: the transport's failure as a `KeelError`; `upstreamUnavailable` when the stream
    ///   carried an error event or a malformed event in what was read up to its first content, or
    ///   ended before any content; rethrows cancellation.
    static func open(_ response: UpstreamResponse, pipe: any StreamPipe) async throws -> StreamStart {
        var pipe = pipe
        var iterator = response.body.makeAsyncIterator()
        var pending = ByteBuffer()
        while true {
            let next: ByteBuffer?
            do {
                next = try await iterator.next()
            } catch {
                guard let classified = UpstreamTransportError.classify(error) else { throw CancellationError() }
                throw classified.code == .upstreamTimeout ? classified : .upstreamUnavailable(status: nil, "The upstream stream broke before its first token.")
            }
            guard let chunk = next else {
                var held = pipe.end()
                pending.writeBuffer(&held)
                guard pipe.accounting.isComplete else {
                    throw KeelError.upstreamUnavailable(status: nil, "The upstream stream ended before its first token.")
                }
                // A complete answer without content (an empty completion): relay it as it is.
                return StreamStart(pending: pending, pipe: pipe, rest: nil, contentAt: nil)
            }
            var forward = pipe.process(chunk)
            pending.writeBuffer(&forward)
            let accounting = pipe.accounting
            // Nothing has reached the client yet, so a failure read together with the first
            // content (a malformed event just before it, an error event just after it) still
            // fails the attempt: the client would otherwise get the bad event, or a cut answer,
            // when another deployment could give it a whole one.
            if accounting.sawErrorEvent || accounting.sawMalformedEvent {
                throw KeelError.upstreamUnavailable(status: nil, "The upstream stream failed before its first token.")
            }
            if accounting.sawContent {
                return StreamStart(
                    pending: pending, pipe: pipe, rest: UpstreamBodyRemainder(iterator, body: response.body), contentAt: .now)
            }
            if accounting.sawTerminator || pending.readableBytes > 64 << 10 {
                return StreamStart(
                    pending: pending, pipe: pipe, rest: UpstreamBodyRemainder(iterator, body: response.body), contentAt: nil)
            }
        }
    }
}

/// The unread rest of an upstream body, handed from the attempt that opened it to the relay
/// that finishes it. Owned by one task at a time: the attempt stops touching it when it returns.
final class UpstreamBodyRemainder: @unchecked Sendable {
    var iterator: UpstreamBody.Iterator
    /// The body it reads, only to ``abort()`` it.
    private let body: UpstreamBody

    init(_ iterator: UpstreamBody.Iterator, body: UpstreamBody) {
        self.iterator = iterator
        self.body = body
    }

    /// Closes the upstream connection from any task: the reader's next read ends with an error.
    func abort() {
        self.body.abort()
    }
}
