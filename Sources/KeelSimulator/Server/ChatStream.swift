import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// Writes one streamed answer in its dialect's framing, paced and faulted as its directives say.
///
/// Timeline after the response head: wait `ttft_ms` (plus a `first_token` stall), send the
/// renderer's opening and the first content delta, then one delta every `1/tps` seconds (no
/// pause when `tps` is 0), then the closing (finish, usage, end marker). Deltas due at the same
/// instant go out in one write; a delta is never held back past its due time.
struct ChatStream<Renderer: StreamRenderer>: Sendable {
    let renderer: Renderer
    let directives: SimulatorDirectives
    let channel: any Channel
    let logger: Logger

    /// The status of a `fault=error` event when the directives name none.
    var defaultErrorStatus = 503

    /// Where `truncate`, `malformed`, `error` and a `mid_stream` stall strike: after this many content
    /// chunks (default: half of them, at most all of them).
    private var strikeIndex: Int {
        min(self.directives.afterTokens ?? self.renderer.deltaCount / 2, self.renderer.deltaCount)
    }

    /// The response: status 200, the renderer's content type, chunked, with `extraHeaders`.
    func response(extraHeaders: HTTPFields = [:]) -> Response {
        var headers: HTTPFields = [.contentType: self.renderer.contentType, .cacheControl: "no-cache"]
        headers.append(contentsOf: extraHeaders)
        return Response(
            status: .ok,
            headers: headers,
            body: ResponseBody { writer in
                try await self.write(to: &writer)
            }
        )
    }

    private func write(to writer: inout any ResponseBodyWriter) async throws {
        do {
            try await self.writeChunks(to: &writer)
        } catch SimulatedFaultError.clientDisconnected {
            self.logger.debug("Client disconnected from a simulated stream")
            throw SimulatedFaultError.clientDisconnected
        }
    }

    private func writeChunks(to writer: inout any ResponseBodyWriter) async throws {
        let count = self.renderer.deltaCount
        let fault = self.directives.fault
        let stallMs = fault == .stall ? (self.directives.stallMs ?? 0) : 0
        let tokensPerSecond = self.directives.tokensPerSecond ?? 0
        let interval: Duration? = tokensPerSecond > 0 ? .nanoseconds(1_000_000_000 / tokensPerSecond) : nil

        var firstWait = self.directives.ttftMs ?? 0
        if self.directives.stallAt == .firstToken { firstWait += stallMs }
        try await self.channel.pause(milliseconds: firstWait)

        var pending = self.renderer.opening
        var due = ContinuousClock.now
        for index in 0...count {
            if index == self.strikeIndex {
                switch fault {
                case .truncate:
                    try await self.flush(&pending, to: &writer)
                    throw SimulatedFaultError.truncated
                case .malformed:
                    pending.writeImmutableBuffer(self.renderer.malformed)
                case .error:
                    let error = SimulatorError.scripted(
                        status: self.directives.status ?? self.defaultErrorStatus, retryAfter: nil,
                        type: self.directives.errorType)
                    pending.writeImmutableBuffer(self.renderer.error(error))
                    try await self.flush(&pending, to: &writer)
                    try await writer.finish(nil)
                    return
                case .stall where self.directives.stallAt == .midStream:
                    try await self.flush(&pending, to: &writer)
                    try await self.channel.pause(milliseconds: stallMs)
                    due = ContinuousClock.now
                default:
                    break
                }
            }
            guard index < count else { break }
            if index > 0, let interval {
                due = due.advanced(by: interval)
                try await self.flush(&pending, to: &writer)
                try await self.channel.pause(until: due)
            }
            // A truncated stream never says how it would have ended.
            let final = index == count - 1 && fault != .truncate && fault != .error
            pending.writeImmutableBuffer(self.renderer.delta(at: index, final: final))
        }
        pending.writeImmutableBuffer(self.renderer.closing)
        try await self.flush(&pending, to: &writer)
        try await writer.finish(nil)
    }

    private func flush(_ pending: inout ByteBuffer, to writer: inout any ResponseBodyWriter) async throws {
        guard pending.readableBytes > 0 else { return }
        if self.directives.jsonStyle == .spaced && self.renderer.contentType == "text/event-stream" {
            try await writer.write(SpacedJSON.respace(events: pending))
        } else {
            try await writer.write(pending)
        }
        pending = ByteBuffer()
    }
}
