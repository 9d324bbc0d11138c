import HTTPTypes
import Hummingbird
import NIOCore

extension KeelSimulator {
    static let chatPath = "/v1/chat/completions"

    /// A planned answer and the directives it runs under.
    struct Plan: Sendable {
        let completion: SimulatedCompletion
        let directives: SimulatorDirectives
    }

    /// `POST /v1/chat/completions`.
    func chatCompletion(_ request: Request, context: SimulatorRequestContext) async throws -> Response {
        let body = try await request.body.collect(upTo: Self.maxBodyBytes)
        if let refused = self.authenticationError(request, dialect: .openAI) {
            self.counter.record(path: Self.chatPath, model: nil)
            return Response.error(refused)
        }
        return try await self.chatCompletion(body, path: Self.chatPath, dialect: .openAI, deployment: nil, context: context)
    }

    /// An OpenAI chat completion body, for `/v1/chat/completions` and Azure deployments.
    func chatCompletion(
        _ body: ByteBuffer,
        path: String,
        dialect: SimulatorDialect,
        deployment: String?,
        context: SimulatorRequestContext
    ) async throws -> Response {
        let requestID = self.requestID()
        let chat: ChatCompletionRequest
        do {
            chat = try ChatCompletionRequest.parse(body, deployment: deployment)
        } catch {
            self.counter.record(path: path, model: nil)
            return Response.error(error, in: dialect, requestID: requestID)
        }
        self.counter.record(path: path, model: chat.model)
        let plan: Plan
        do {
            plan = try self.plan(chat.prompt, path: path) { model in
                deployment == nil ? .modelNotFound(model) : .deploymentNotFound(model)
            }
        } catch {
            return Response.error(error, in: dialect, requestID: requestID)
        }
        return try await self.respond(
            plan, streaming: chat.stream, dialect: dialect, requestID: requestID, context: context,
            body: { $0.body },
            renderer: { ChatChunkRenderer(completion: $0, includeUsage: chat.includeUsage) }
        )
    }

    /// Finds the model, reads the directives and plans the answer (for a continuation request,
    /// see ``SimulatedPrompt/continuation``, the rest of the answer it continues).
    ///
    /// - Throws: ``SimulatorError`` for an unknown model (`notFound`), an embedding model, a bad
    ///   directive or a forced function that `tools` lacks.
    /// - Parameter defaultReasoning: the reasoning tokens when the directives give none (or 0):
    ///   what a request that asks to see thinking thinks.
    func plan(
        _ prompt: SimulatedPrompt,
        path: String,
        defaultReasoning: Int = 0,
        notFound: (String) -> SimulatorError
    ) throws(SimulatorError) -> Plan {
        guard let model = self.models[prompt.model] else {
            throw notFound(prompt.model)
        }
        guard model.kind == .chat else {
            throw SimulatorError.wrongEndpoint(model: model.name, kind: model.kind, path: path)
        }
        // A continuation is planned as the request it continues (same words, same directives),
        // then answers only what its prefill lacks.
        let continued = prompt.continuation
        let planned = continued?.prompt ?? prompt
        var directives = try self.directives(for: model, text: planned.lastUserText)
        if (directives.reasoning ?? 0) == 0, defaultReasoning > 0 {
            directives.reasoning = defaultReasoning
        }
        var completion = try SimulatedCompletion(prompt: planned, directives: directives, created: Self.now)
        if let continued {
            completion = completion.continuing(after: continued.prefill, promptTokens: prompt.promptTokens)
        }
        return Plan(completion: completion, directives: directives)
    }

    /// Answers a plan in `dialect`: the prelude (latency, stall, drop, scripted error), then the
    /// stream or the whole body with its fault.
    func respond<Renderer: StreamRenderer>(
        _ plan: Plan,
        streaming: Bool,
        dialect: SimulatorDialect,
        requestID: String,
        headers: HTTPFields = [:],
        context: SimulatorRequestContext,
        body: (SimulatedCompletion) -> String,
        renderer: (SimulatedCompletion) -> Renderer
    ) async throws -> Response {
        let spaced = plan.directives.jsonStyle == .spaced
        if let error = try await self.prelude(plan.directives, streaming: streaming, dialect: dialect, context: context) {
            return Response.error(error, in: dialect, requestID: requestID, spaced: spaced)
        }
        if streaming {
            var stream = ChatStream(
                renderer: renderer(plan.completion), directives: plan.directives, channel: context.channel,
                logger: context.logger)
            stream.defaultErrorStatus = dialect.defaultStreamErrorStatus
            return stream.response(extraHeaders: headers)
        }
        let text = body(plan.completion)
        var response = Response.answer(spaced ? SpacedJSON.respace(json: text) : text, fault: plan.directives.fault)
        response.headers.append(contentsOf: headers)
        return response
    }

    /// What happens before a response head, for every model endpoint: `latency_ms`, a stall at
    /// `headers` (any stall, for non-streaming answers), then `fault=drop`, then `status=` (and a
    /// non-streaming `fault=error`).
    ///
    /// - Returns: the error a `status=` directive asks for, or `nil` to answer normally. A
    ///   streaming `fault=error` answers normally: its error comes inside the stream.
    /// - Throws: ``SimulatedFaultError/dropped`` after closing the connection for `fault=drop`,
    ///   so that Hummingbird writes nothing; or an error when the client went away while waiting.
    func prelude(
        _ directives: SimulatorDirectives,
        streaming: Bool,
        dialect: SimulatorDialect,
        context: SimulatorRequestContext
    ) async throws -> SimulatorError? {
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
        if directives.fault == .error {
            if streaming { return nil }
            return .scripted(
                status: directives.status ?? dialect.defaultStreamErrorStatus, retryAfter: directives.retryAfter,
                type: directives.errorType)
        }
        if let status = directives.status {
            return .scripted(status: status, retryAfter: directives.retryAfter, type: directives.errorType)
        }
        return nil
    }
}
