import HTTPTypes
import Hummingbird
import KeelCore
import KeelProviders
import NIOCore

extension Gateway {
    /// What a successful upstream attempt returned, already in the client's dialect.
    enum UpstreamAnswer: Sendable {
        case complete(body: ByteBuffer, contentType: String?, usage: TokenUsage)
        case stream(StreamStart, totalTimeout: Duration)

        /// When a stream's first token arrived.
        var firstTokenAt: ContinuousClock.Instant? {
            if case .stream(let start, _) = self { start.contentAt } else { nil }
        }

        /// Whether the answer is a stream, whose attempt span ends with it.
        var isStream: Bool {
            if case .stream = self { true } else { false }
        }

        /// Input plus output tokens of a complete answer (a stream's are known only at its end).
        var usedTokens: Int? {
            if case .complete(_, _, let usage) = self { Int(usage.totalTokens) } else { nil }
        }
    }

    /// `POST /v1/chat/completions` (OpenAI clients).
    func chatCompletions(_ request: Request) async throws -> Response {
        try await self.chat(request, as: OpenAIChatRequest.self)
    }

    /// `POST /v1/messages` (Anthropic clients).
    func messages(_ request: Request) async throws -> Response {
        try await self.chat(request, as: AnthropicMessagesRequest.self)
    }

    /// A chat call in any client dialect, to deployments of any dialect.
    ///
    /// A deployment that speaks the client's dialect gets the client's bytes with only the model
    /// rewritten, and its stream passes through. Any other deployment gets the request decoded to
    /// the canonical form (once, on the first such attempt) and encoded in its dialect, and its
    /// answer is translated back, streams event by event. A deployment that cannot serve the
    /// request (tools, images, streaming, JSON mode it lacks) is skipped with a clear error.
    func chat<Ingress: ChatIngress>(_ request: Request, as ingress: Ingress.Type) async throws -> Response {
        var admitted = try await self.admit(
            request,
            operation: Ingress.operation,
            parse: Ingress.parse,
            demand: { TokenDemand(inputTokens: $0.body.readableBytes / 4, maxOutputTokens: $0.maxOutputTokens) }
        ) { body, record in
            record.requestedModel = body.model
            record.stream = body.stream
            record.features = body.traits.features
            record.promptPrefixHash = body.traits.prefixHash
        }
        let content = admitted.body.body
        let session = try await self.screen(
            &admitted,
            content: content,
            shape: Ingress.dialect == .anthropic ? .anthropicMessages : .openAIChat,
            answers: true,
            parse: Ingress.parse
        )
        let chat = admitted.body
        let maxDepth = self.limits.maxJSONDepth
        let canonical = Decoded { () throws(KeelError) in
            try Ingress.ClientDialect.decodeRequest(chat.body, maxDepth: maxDepth)
        }
        if let trace = admitted.trace, trace.capturesContent, let prompt = try? canonical.get() {
            trace.recordPrompt(prompt)
        }
        // An agent's answers are held to its tools (a call outside them is not released) and its
        // approvals (a call of a gated tool waits for reviewers).
        let scope = admitted.agent.flatMap { $0.tools != nil || $0.approvals?.tools.isEmpty == false ? $0 : nil }
        // A guarded answer is the client's own (restored values, redacted findings): never
        // served to another request from the cache, nor stored there. An answer held to an
        // agent's tools is checked as it comes from the upstream, so it does not come from the
        // cache either (another agent's answer, or one cached before the agent's tools changed).
        let cache = session == nil && scope == nil ? self.cacheTicket(request, chat, record: admitted.record) : nil
        if let hit = cache?.hit { return await self.respondFromCache(hit, admitted, dialect: Ingress.dialect) }
        let forwarded = Ingress.forwardedHeaders(request)
        let routed: UpstreamRouter.Routed<UpstreamAnswer> = try await self.route(
            &admitted,
            estimatedTokens: chat.estimatedTokens,
            usedTokens: \.usedTokens,
            firstTokenAt: \.firstTokenAt,
            holdsStream: { $0.isStream }
        ) { deployment in
            let provider = deployment.provider
            if provider.dialect == Ingress.dialect {
                let upstream = UpstreamRequest(
                    operation: .chatCompletions,
                    model: deployment.upstreamModel,
                    body: chat.upstreamBody(model: deployment.upstreamModel),
                    stream: chat.stream,
                    forwardedHeaders: forwarded
                )
                let response = try await provider.send(upstream)
                if chat.stream {
                    return .stream(
                        try await StreamStart.open(response, pipe: chat.passThroughPipe()),
                        totalTimeout: provider.timeouts.total
                    )
                }
                let body = try await Self.collect(response)
                return .complete(
                    body: body,
                    contentType: response.contentType,
                    usage: try Ingress.usage(ofComplete: body)
                )
            }
            guard let upstreamDialect = ChatDialects.upstream(provider.dialect) else {
                throw DeploymentCannotServe(
                    error: .invalidRequest("Provider '\(provider.name)' cannot translate requests from this API.")
                )
            }
            let translated = try canonical.get()
            if let refusal = Self.unservable(translated, by: provider) { throw DeploymentCannotServe(error: refusal) }
            return try await Self.translatedAttempt(
                translated,
                upstream: upstreamDialect,
                client: Ingress.ClientDialect.self,
                clientModel: chat.model,
                deployment: deployment
            )
        }

        switch routed.value {
        case .complete(var body, let contentType, let usage):
            if let scope {
                var refusal =
                    scope.tools == nil
                    ? nil : AnswerToolScope.refusal(forAnswer: body, dialect: Ingress.dialect, agent: scope)
                if refusal == nil {
                    refusal = await self.approveAnswer(body, dialect: Ingress.dialect, agent: scope, admitted: admitted)
                }
                if let refusal {
                    await self.refuseAnswer(refusal, usage: usage, admitted: &admitted)
                    throw RecordedFailure(error: refusal, requestID: admitted.record.id.rawValue)
                }
            }
            if let session {
                body = try await self.screenAnswer(
                    body,
                    usage: usage,
                    session: session,
                    dialect: Ingress.dialect,
                    admitted: &admitted
                )
            }
            let response = await self.respondComplete(
                &admitted.record,
                started: admitted.started,
                body: body,
                contentType: contentType,
                usage: usage,
                attempts: routed.attempts,
                holds: admitted.holds,
                trace: admitted.trace,
                dialect: Ingress.dialect
            )
            return self.cachingComplete(response, cache, record: admitted.record, body: body, contentType: contentType)

        case .stream(var start, let totalTimeout):
            if let scope { start = ToolScopePipe.scoping(start, dialect: Ingress.dialect, agent: scope) }
            if let session { start = session.guardStream(start, dialect: Ingress.dialect) }
            if let refusal = start.pipe.refusal {
                // Refused before anything reached the client: the request fails whole.
                admitted.trace?.endStreamAttempt(failure: refusal)
                admitted.record.addAnswerVerdict(start.pipe.guardVerdict)
                await self.refuseAnswer(refusal, usage: start.pipe.accounting.usage, admitted: &admitted)
                throw RecordedFailure(error: refusal, requestID: admitted.record.id.rawValue)
            }
            var headers = self.responseHeaders(admitted.record, attempts: routed.attempts)
            admitted.holds.addHeaders(to: &headers)
            cache?.addHeader(to: &headers)
            headers[.contentType] = "text/event-stream"
            headers[.cacheControl] = "no-cache"
            admitted.record.status = 200
            let relay = StreamRelay(
                record: admitted.record,
                started: admitted.started,
                totalTimeout: totalTimeout,
                prices: self.prices,
                recorder: self.recorder,
                holds: admitted.holds,
                lateFailure: self.lateFailureReporter(routed),
                requestBody: chat.body,
                trace: admitted.trace,
                answerDigest: self.answerDigest(for: admitted.record),
                answerToolCalls: admitted.record.taskID == nil ? nil : AnswerToolCalls(dialect: Ingress.dialect),
                flight: admitted.flight,
                approvalGate: scope.flatMap { self.approvalGate(agent: $0, admitted: admitted) }
            )
            let relayed = self.cachingStream(start, cache, record: admitted.record)
            // A continuation would be asked from the text the client received (restored values
            // included) and relayed past the guard and the agent's tool scope: a guarded or
            // scoped stream is not resumed.
            let resume =
                session != nil || scope != nil
                ? nil
                : self.streamResume(
                    Ingress.self,
                    canonical,
                    record: admitted.record,
                    started: admitted.started,
                    totalTimeout: totalTimeout,
                    trace: admitted.trace,
                    policy: admitted.policy
                )
            let trace = admitted.trace
            let canaryTokens = self.canaryTokens
            let record = admitted.record
            return Response(
                status: .ok,
                headers: headers,
                body: ResponseBody { writer in
                    var writer = AnswerToolCallsWriter.wrapping(
                        AnswerDigestingWriter.wrapping(
                            AnswerCapturingWriter.wrapping(
                                canaryTokens?.watching(writer, dialect: Ingress.dialect, record: record) ?? writer,
                                trace: trace,
                                dialect: Ingress.dialect
                            ),
                            digest: relay.answerDigest
                        ),
                        calls: relay.answerToolCalls
                    )
                    await relay.run(resume?.watch(relayed) ?? relayed, writer: &writer, resume: resume)
                }
            )
        }
    }

    /// Holds a complete answer that calls tools `agent`'s approvals gate until reviewers decide:
    /// `nil` once approved (or when nothing is gated), the denial otherwise.
    func approveAnswer<Body: Sendable>(
        _ body: ByteBuffer,
        dialect: APIDialect,
        agent: Agent,
        admitted: Admitted<Body>
    ) async
        -> KeelError?
    {
        guard let policy = agent.approvals, let desk = self.escalations else { return nil }
        for (call, arguments) in CalledTools.callsWithArguments(inAnswer: body, dialect: dialect)
        where policy.gates(tool: call.name, server: call.server) {
            do {
                _ = try await desk.holdToolCall(
                    agent: agent,
                    server: call.server,
                    tool: call.name,
                    arguments: arguments,
                    taskID: admitted.record.taskID,
                    orgID: admitted.record.orgID,
                    teamID: admitted.record.teamID,
                    flight: admitted.flight
                )
            } catch {
                return (error as? KeelError) ?? admitted.flight?.haltError ?? .clientDisconnected
            }
        }
        return nil
    }

    /// What a stream relay asks when its pipe held calls of tools `agent`'s approvals gate.
    func approvalGate<Body: Sendable>(
        agent: Agent,
        admitted: Admitted<Body>
    ) -> (@Sendable ([StreamedToolCalls.Call]) async throws -> Void)? {
        guard agent.approvals != nil, let desk = self.escalations else { return nil }
        let (taskID, orgID, teamID, flight) = (
            admitted.record.taskID, admitted.record.orgID, admitted.record.teamID, admitted.flight
        )
        return { calls in
            for call in calls {
                _ = try await desk.holdToolCall(
                    agent: agent,
                    server: call.server,
                    tool: call.name,
                    arguments: StreamedToolCalls.arguments(call),
                    taskID: taskID,
                    orgID: orgID,
                    teamID: teamID,
                    flight: flight
                )
            }
        }
    }

    /// Reports a stream that broke after its first token to the breaker of the deployment that
    /// sent it.
    func lateFailureReporter<Value>(_ routed: UpstreamRouter.Routed<Value>) -> @Sendable (UpstreamFailureKind) -> Void {
        let group = routed.model.group
        let deployment = routed.deployment
        let index = routed.model.deployments.firstIndex {
            $0.provider.name == deployment.provider.name && $0.upstreamModel == deployment.upstreamModel
        }
        let logger = self.logger
        return { kind in
            guard let index else { return }
            group.recordLateFailure(deployment: index, kind: kind, name: deployment.upstreamModel, logger: logger)
        }
    }

    /// One attempt at a deployment of another dialect: encode, send, and translate the answer.
    static func translatedAttempt<Upstream: ChatUpstreamDialect, Client: ChatClientDialect>(
        _ request: ChatRequest,
        upstream: Upstream.Type,
        client: Client.Type,
        clientModel: String,
        deployment: ModelRegistry.Deployment
    ) async throws -> UpstreamAnswer {
        let body: ByteBuffer
        do {
            body = try Upstream.encodeRequest(request, upstreamModel: deployment.upstreamModel)
        } catch {
            // What this dialect cannot express, another deployment's may.
            throw DeploymentCannotServe(error: error)
        }
        let response = try await deployment.provider.send(
            UpstreamRequest(
                operation: .chatCompletions,
                model: deployment.upstreamModel,
                body: body,
                stream: request.stream
            )
        )
        if request.stream {
            let pipe = TranslatingPipe(
                decoder: Upstream.makeStreamDecoder(),
                encoder: Client.makeStreamEncoder(for: request, model: clientModel)
            )
            return .stream(
                try await StreamStart.open(response, pipe: pipe),
                totalTimeout: deployment.provider.timeouts.total
            )
        }
        let answer = try Upstream.decodeResponse(try await Self.collect(response))
        return .complete(
            body: Client.encodeResponse(answer, model: clientModel),
            contentType: "application/json",
            usage: answer.usage
        )
    }

    /// Why `provider` cannot serve `request`, or `nil` when it can.
    static func unservable(_ request: ChatRequest, by provider: any ModelProvider) -> KeelError? {
        let capabilities = provider.capabilities
        let name = provider.name
        if request.stream && !capabilities.contains(.streaming) {
            return .invalidRequest("Streaming is not supported by provider '\(name)'.", param: "stream")
        }
        if !request.tools.isEmpty && !capabilities.contains(.toolCalls) {
            return .invalidRequest("Tool calling is not supported by provider '\(name)'.", param: "tools")
        }
        if let format = request.responseFormat, format != .text, !capabilities.contains(.jsonMode) {
            return .invalidRequest(
                "JSON mode ('response_format') is not supported by provider '\(name)'.",
                param: "response_format"
            )
        }
        if !capabilities.contains(.imageInput),
            request.messages.contains(where: { $0.content.contains(where: Self.isImage) })
        {
            return .invalidRequest("Image input is not supported by provider '\(name)'.", param: "messages")
        }
        return nil
    }

    private static func isImage(_ part: ChatContent) -> Bool {
        switch part {
        case .image: true
        case .toolResult(let result): result.content.contains(where: isImage)
        default: false
        }
    }

    /// Reads a non-streaming answer whole. A transport failure fails the attempt (the router may
    /// try elsewhere, since nothing reached the client yet).
    static func collect(_ response: UpstreamResponse) async throws -> ByteBuffer {
        do {
            return try await response.body.collect(upTo: 64 << 20)
        } catch {
            guard let classified = UpstreamTransportError.classify(error) else { throw CancellationError() }
            throw classified
        }
    }
}

/// A deployment that cannot serve a request (a capability it lacks, a dialect it cannot be
/// translated to). The router moves on to the next deployment; when none can serve, the client
/// gets ``error``.
struct DeploymentCannotServe: Error {
    let error: KeelError
}

extension Gateway {
    /// `POST /v1/messages/count_tokens` (Anthropic clients): forwarded to a deployment that
    /// counts tokens itself (an Anthropic upstream); any other is passed over with a clear error,
    /// since a count from another tokenizer would not be the one the upstream bills.
    func countTokens(_ request: Request) async throws -> Response {
        var admitted = try await self.admit(
            request,
            operation: "count_tokens",
            parse: AnthropicCountTokensRequest.parse
        ) { body, record in
            record.requestedModel = body.model
        }
        let content = admitted.body.body
        _ = try await self.screen(
            &admitted,
            content: content,
            shape: .anthropicMessages,
            answers: false,
            parse: AnthropicCountTokensRequest.parse
        )
        let count = admitted.body
        let forwarded = AnthropicMessagesRequest.forwardedHeaders(request)
        let routed: UpstreamRouter.Routed<UpstreamAnswer> = try await self.route(&admitted) { deployment in
            let provider = deployment.provider
            guard provider.dialect == .anthropic, provider.capabilities.contains(.countTokens) else {
                throw DeploymentCannotServe(
                    error: .invalidRequest("Token counting is not supported by provider '\(provider.name)'.")
                )
            }
            let response = try await provider.send(
                UpstreamRequest(
                    operation: .countTokens,
                    model: deployment.upstreamModel,
                    body: count.upstreamBody(model: deployment.upstreamModel),
                    stream: false,
                    forwardedHeaders: forwarded
                )
            )
            let body = try await Self.collect(response)
            guard (try? JSONValue(parsing: body))?["input_tokens"]?.int != nil else {
                throw KeelError.upstreamBadResponse()
            }
            return .complete(body: body, contentType: response.contentType, usage: .zero)
        }
        guard case .complete(let body, let contentType, let usage) = routed.value else {
            preconditionFailure("token counts never stream")
        }
        return await self.respondComplete(
            &admitted.record,
            started: admitted.started,
            body: body,
            contentType: contentType,
            usage: usage,
            attempts: routed.attempts,
            holds: admitted.holds,
            trace: admitted.trace,
            dialect: .anthropic
        )
    }
}
