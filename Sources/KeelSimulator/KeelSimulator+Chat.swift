import HTTPTypes
import Hummingbird
import NIOCore

extension KeelSimulator {
    static let chatPath = "/v1/chat/completions"

    /// `POST /v1/chat/completions`.
    func chatCompletion(_ request: Request, context: SimulatorRequestContext) async throws -> Response {
        let body = try await request.body.collect(upTo: Self.maxBodyBytes)
        let chat: ChatCompletionRequest
        do {
            chat = try ChatCompletionRequest.parse(body)
        } catch {
            self.counter.record(path: Self.chatPath, model: nil)
            return Response.error(error)
        }
        self.counter.record(path: Self.chatPath, model: chat.model)
        guard let model = self.models[chat.model] else {
            return Response.error(.modelNotFound(chat.model))
        }
        guard model.kind == .chat else {
            return Response.error(.wrongEndpoint(model: model.name, kind: model.kind, path: Self.chatPath))
        }

        let directives: SimulatorDirectives
        let completion: SimulatedCompletion
        do {
            directives = try self.directives(for: model, text: chat.lastUserText)
            completion = try SimulatedCompletion(request: chat, directives: directives, created: Self.now)
        } catch {
            return Response.error(error)
        }

        if let early = try await self.prelude(directives, streaming: chat.stream, context: context) {
            return early
        }
        if chat.stream {
            let renderer = ChatChunkRenderer(completion: completion, includeUsage: chat.includeUsage)
            return ChatStream(
                renderer: renderer, directives: directives, channel: context.channel, logger: context.logger
            )
            .response
        }
        switch directives.fault {
        case .truncate: return Response.truncated(completion.body)
        case .malformed: return Response.malformed(completion.body)
        default: return Response.json(completion.body)
        }
    }

    /// What happens before a response head, for every model endpoint: `latency_ms`, a stall at
    /// `headers` (any stall, for non-streaming answers), then `fault=drop`, then `status=`.
    ///
    /// - Returns: the error response a `status=` directive asks for, or `nil` to answer normally.
    /// - Throws: ``SimulatedFaultError/dropped`` after closing the connection for `fault=drop`,
    ///   so that Hummingbird writes nothing; or an error when the client went away while waiting.
    func prelude(
        _ directives: SimulatorDirectives,
        streaming: Bool,
        context: SimulatorRequestContext
    ) async throws -> Response? {
        var wait = directives.latencyMs ?? 0
        if directives.fault == .stall, !streaming || (directives.stallAt ?? .headers) == .headers {
            wait += directives.stallMs ?? 0
        }
        try await context.channel.pause(milliseconds: wait)
        if directives.fault == .drop {
            // Closing first means the 500 Hummingbird would write for the thrown error fails on a
            // closed channel, and the client sees the connection end with no response at all.
            try? await context.channel.close()
            throw SimulatedFaultError.dropped
        }
        if let status = directives.status {
            return Response.error(.scripted(status: status, retryAfter: directives.retryAfter))
        }
        return nil
    }
}
