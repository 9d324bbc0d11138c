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
        let started = ContinuousClock.now
        let principal = try self.authenticate(request)
        var record = self.newRecord(operation: "chat.completions", principal: principal, request: request, startedAt: WallClock.unixMicros())
        let chat: OpenAIChatRequest
        do {
            let body = try await self.readBody(request)
            chat = try OpenAIChatRequest.parse(body, maxDepth: self.limits.maxJSONDepth)
            record.requestedModel = chat.model
            record.stream = chat.stream
            try self.resolve(chat.model, for: principal)
        } catch {
            // The block throws only KeelError (typed throws), so `error` is one.
            let failure: KeelError = error
            await self.recordFailure(&record, error: failure, started: started)
            throw failure
        }

        let routed: UpstreamRouter.Routed<UpstreamAnswer>
        do {
            routed = try await self.router.route(model: chat.model, logger: self.logger) { deployment in
                let upstream = UpstreamRequest(
                    operation: .chatCompletions,
                    body: chat.upstreamBody(model: deployment.upstreamModel),
                    stream: chat.stream
                )
                let response = try await deployment.provider.send(upstream)
                if chat.stream { return .stream(response) }
                return try await Self.completeAnswer(response)
            }
        } catch let failure as UpstreamRouter.Failure {
            record.attempts = failure.attempts
            record.model = failure.model?.name
            record.provider = failure.deployment?.provider.name
            record.deployment = failure.deployment?.upstreamModel
            await self.recordFailure(&record, error: failure.error, started: started)
            throw failure.error
        } catch {
            await self.recordFailure(&record, error: .clientDisconnected, started: started)
            throw error
        }

        record.attempts = routed.attempts
        record.model = routed.model.name
        record.provider = routed.deployment.provider.name
        record.deployment = routed.deployment.upstreamModel
        record.upstreamMicros = (ContinuousClock.now - started).microseconds
        var headers = HTTPFields()
        headers[.keelRequestID] = record.id.rawValue
        headers[.keelProvider] = routed.deployment.provider.name
        headers[.keelAttempts] = String(routed.attempts)

        switch routed.value {
        case .complete(let body, let contentType, let usage):
            record.usage = usage
            record.cost = self.prices.cost(of: usage, model: routed.deployment.upstreamModel)
            record.status = 200
            record.outcome = .success
            record.totalMicros = (ContinuousClock.now - started).microseconds
            headers[.contentType] = contentType ?? "application/json"
            headers[.keelCost] = record.cost.decimalString
            await self.recorder.record(record)
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: body))

        case .stream(let response):
            headers[.contentType] = response.contentType ?? "text/event-stream"
            headers[.cacheControl] = "no-cache"
            record.status = 200
            let relay = StreamRelay(
                record: record,
                started: started,
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
