import HTTPTypes
import Hummingbird
import KeelCore
import KeelProviders
import NIOCore

extension Gateway {
    /// `POST /v1/embeddings`.
    func embeddings(_ request: Request) async throws -> Response {
        var admitted = try await self.admit(
            request,
            operation: "embeddings",
            parse: OpenAIEmbeddingsRequest.parse,
            demand: { TokenDemand(inputTokens: $0.body.readableBytes / 4, maxOutputTokens: 0) }
        ) { body, record in
            record.requestedModel = body.model
        }
        let content = admitted.body.body
        _ = try await self.screen(&admitted, content: content, shape: .openAIEmbeddings, answers: false, parse: OpenAIEmbeddingsRequest.parse)
        let embeddings = admitted.body
        let body = embeddings.body
        let canonical = Decoded { () throws(KeelError) in try OpenAIEmbeddings.decodeRequest(body) }
        let routed: UpstreamRouter.Routed<UpstreamAnswer> = try await self.route(&admitted) { deployment in
            let provider = deployment.provider
            guard provider.capabilities.contains(.embeddings) else {
                throw DeploymentCannotServe(error: .invalidRequest("Embeddings are not supported by provider '\(provider.name)'."))
            }
            switch provider.dialect {
            case .openAI:
                let upstream = UpstreamRequest(operation: .embeddings, model: deployment.upstreamModel, body: embeddings.upstreamBody(model: deployment.upstreamModel), stream: false)
                let response = try await provider.send(upstream)
                let body = try await Self.collect(response)
                return .complete(body: body, contentType: response.contentType, usage: try OpenAIChatRequest.usage(ofComplete: body))
            case .gemini:
                let request = try canonical.get()
                let response = try await provider.send(
                    UpstreamRequest(
                        operation: .embeddings,
                        model: deployment.upstreamModel,
                        body: GeminiEmbeddings.encodeRequest(request, upstreamModel: deployment.upstreamModel),
                        stream: false
                    )
                )
                let answer = try GeminiEmbeddings.decodeResponse(try await Self.collect(response), expected: request.inputs.count)
                return .complete(
                    body: OpenAIEmbeddings.encodeResponse(answer, model: embeddings.model, base64: request.base64),
                    contentType: "application/json",
                    usage: TokenUsage(inputTokens: Int64(answer.inputTokens ?? 0))
                )
            case .anthropic, .bedrock:
                throw DeploymentCannotServe(error: .invalidRequest("Embeddings are not supported by provider '\(provider.name)'."))
            }
        }
        guard case .complete(let body, let contentType, let usage) = routed.value else {
            preconditionFailure("embeddings never stream")
        }
        return await self.respondComplete(
            &admitted.record,
            started: admitted.started,
            body: body,
            contentType: contentType,
            usage: usage,
            attempts: routed.attempts,
            holds: admitted.holds,
            trace: admitted.trace
        )
    }

    /// `GET /v1/models`: the models the caller's key may use.
    func listModels(_ request: Request) throws -> Response {
        let principal = try self.authenticate(request)
        var body = #"{"object":"list","data":["#
        var first = true
        for name in self.registry.order where principal.mayUse(model: name) {
            if !first { body += "," }
            first = false
            body += Self.modelObject(self.registry.entries[name]!)
        }
        body += "]}"
        return Self.json(body)
    }

    /// `GET /v1/models/{id}`.
    func retrieveModel(_ request: Request, id: String) throws -> Response {
        let principal = try self.authenticate(request)
        guard let entry = self.registry.entries[id], principal.mayUse(model: id) else { throw KeelError.modelNotFound(id) }
        return Self.json(Self.modelObject(entry))
    }

    static func modelObject(_ entry: ModelRegistry.Entry) -> String {
        #"{"id":"# + JSONWriter.quoted(entry.name) + #","object":"model","created":\#(entry.created),"owned_by":"#
            + JSONWriter.quoted(entry.ownedBy) + "}"
    }

    static func json(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}
