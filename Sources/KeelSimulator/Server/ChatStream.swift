import Hummingbird
import Logging
import NIOCore

/// Writes one streamed completion as server-sent events, paced and faulted as its directives say.
///
/// Timeline after the response head: wait `ttft_ms` (plus a `first_token` stall), send the role
/// chunk and the first content chunk, then one content chunk every `1/tps` seconds (no pause when
/// `tps` is 0), then the finish chunk if the finish reason did not ride on the last content
/// chunk, the usage chunk (with `include_usage`) and `[DONE]`. Chunks due at the same instant go
/// out in one write; a chunk is never held back past its due time.
struct ChatStream: Sendable {
    let renderer: ChatChunkRenderer
    let directives: SimulatorDirectives
    let channel: any Channel
    let logger: Logger

    /// Where `truncate`, `malformed` and a `mid_stream` stall strike: after this many content
    /// chunks (default: half of them, at most all of them).
    private var strikeIndex: Int {
        min(self.directives.afterTokens ?? self.renderer.deltaCount / 2, self.renderer.deltaCount)
    }

    /// The response: status 200, `text/event-stream`, chunked.
    var response: Response {
        Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
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

        var pending = self.renderer.roleChunk
        var due = ContinuousClock.now
        for index in 0...count {
            if index == self.strikeIndex {
                switch fault {
                case .truncate:
                    try await Self.flush(&pending, to: &writer)
                    throw SimulatedFaultError.truncated
                case .malformed:
                    pending += ChatChunkRenderer.malformed
                case .stall where self.directives.stallAt == .midStream:
                    try await Self.flush(&pending, to: &writer)
                    try await self.channel.pause(milliseconds: stallMs)
                    due = ContinuousClock.now
                default:
                    break
                }
            }
            guard index < count else { break }
            if index > 0, let interval {
                due = due.advanced(by: interval)
                try await Self.flush(&pending, to: &writer)
                try await self.channel.pause(until: due)
            }
            // A truncated stream never says how it would have ended.
            let finishing = index == count - 1 && self.renderer.finishesOnLastDelta && fault != .truncate
            pending += self.renderer.deltaChunk(at: index, finishing: finishing)
        }
        if !self.renderer.finishesOnLastDelta {
            pending += self.renderer.finishChunk
        }
        if self.renderer.includeUsage {
            pending += self.renderer.usageChunk
        }
        pending += ChatChunkRenderer.done
        try await Self.flush(&pending, to: &writer)
        try await writer.finish(nil)
    }

    private static func flush(_ pending: inout String, to writer: inout any ResponseBodyWriter) async throws {
        guard !pending.isEmpty else { return }
        try await writer.write(ByteBuffer(string: pending))
        pending = ""
    }
}
