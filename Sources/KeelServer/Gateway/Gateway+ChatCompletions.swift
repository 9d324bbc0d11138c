import HTTPTypes
import Hummingbird
import KeelCore
import KeelProviders
import NIOCore

extension Gateway {
    /// What a successful upstream attempt returned.
    enum UpstreamAnswer: Sendable {
        case complete(body: ByteBuffer, contentType: String?, usage: TokenUsage)
        case stream(UpstreamResponse)
    }

    /// `POST /v1/chat/completions`.
    func chatCompletions(_ request: Request) async throws -> Response {
        var admitted = try await self.admit(request, operation: "chat.completions", parse: OpenAIChatRequest.parse) { body, record in
            record.requestedModel = body.model
            record.stream = body.stream
        }
        let chat = admitted.body
        let routed: UpstreamRouter.Routed<UpstreamAnswer> = try await self.route(&admitted) { deployment in
            let upstream = UpstreamRequest(
                operation: .chatCompletions,
                model: deployment.upstreamModel,
                body: chat.upstreamBody(model: deployment.upstreamModel),
                stream: chat.stream
            )
            let response = try await deployment.provider.send(upstream)
            if chat.stream { return .stream(response) }
            return try await Self.completeAnswer(response)
        }

        switch routed.value {
        case .complete(let body, let contentType, let usage):
            return await self.respondComplete(
                &admitted.record,
                started: admitted.started,
                body: body,
                contentType: contentType,
                usage: usage,
                attempts: routed.attempts
            )

        case .stream(let response):
            var headers = self.responseHeaders(admitted.record, attempts: routed.attempts)
            headers[.contentType] = response.contentType ?? "text/event-stream"
            headers[.cacheControl] = "no-cache"
            admitted.record.status = 200
            let relay = StreamRelay(
                record: admitted.record,
                started: admitted.started,
                dropUsageEvent: !chat.clientWantsUsage,
                totalTimeout: routed.deployment.provider.timeouts.total,
                prices: self.prices,
                recorder: self.recorder
            )
            return Response(status: .ok, headers: headers, body: ResponseBody { writer in
                await relay.run(response.body, writer: &writer)
            })
        }
    }

    /// Reads a non-streaming answer whole and checks it is a JSON object; a malformed body fails
    /// the attempt (the router may try elsewhere, since nothing reached the client yet).
    static func completeAnswer(_ response: UpstreamResponse) async throws -> UpstreamAnswer {
        let body: ByteBuffer
        do {
            body = try await response.body.collect(upTo: 64 << 20)
        } catch {
            guard let classified = UpstreamTransportError.classify(error) else { throw CancellationError() }
            throw classified
        }
        let usage: TokenUsage?
        do {
            usage = try body.withUnsafeReadableBytes { bytes throws(JSONScanner.SyntaxError) in try OpenAIUsage.fromResponseBody(bytes) }
        } catch {
            throw KeelError.upstreamBadResponse()
        }
        return .complete(body: body, contentType: response.contentType, usage: usage ?? .zero)
    }
}
