import Hummingbird
import NIOCore

extension KeelSimulator {
    static let embeddingsPath = "/v1/embeddings"

    /// `POST /v1/embeddings`. Takes queued script entries and the model's latency; in-content
    /// directives are a chat feature.
    func embeddings(_ request: Request, context: SimulatorRequestContext) async throws -> Response {
        let body = try await request.body.collect(upTo: Self.maxBodyBytes)
        if let refused = self.authenticationError(request, dialect: .openAI) {
            self.counter.record(path: Self.embeddingsPath, model: nil)
            return Response.error(refused)
        }
        return try await self.embeddings(
            body, path: Self.embeddingsPath, dialect: .openAI, deployment: nil, context: context)
    }

    /// An OpenAI embeddings body, for `/v1/embeddings` and Azure deployments.
    func embeddings(
        _ body: ByteBuffer,
        path: String,
        dialect: SimulatorDialect,
        deployment: String?,
        context: SimulatorRequestContext
    ) async throws -> Response {
        let requestID = self.requestID()
        let embedding: EmbeddingRequest
        do {
            embedding = try EmbeddingRequest.parse(body, deployment: deployment)
        } catch {
            self.counter.record(path: path, model: nil)
            return Response.error(error, in: dialect, requestID: requestID)
        }
        self.counter.record(path: path, model: embedding.model)
        guard let model = self.models[embedding.model] else {
            let missing: SimulatorError =
                deployment == nil ? .modelNotFound(embedding.model) : .deploymentNotFound(embedding.model)
            return Response.error(missing, in: dialect, requestID: requestID)
        }
        guard model.kind == .embedding else {
            return Response.error(
                .wrongEndpoint(model: model.name, kind: model.kind, path: path), in: dialect, requestID: requestID)
        }
        let directives: SimulatorDirectives
        do {
            directives = try self.directives(for: model, text: nil)
        } catch {
            return Response.error(error, in: dialect, requestID: requestID)
        }
        if let error = try await self.prelude(directives, streaming: false, dialect: dialect, context: context) {
            return Response.error(error, in: dialect, requestID: requestID)
        }
        let answer = SimulatedEmbeddings(
            request: embedding, dimensions: embedding.dimensions ?? model.embeddingDimensions)
        return Response.answer(answer.body(base64: embedding.base64), fault: directives.fault)
    }
}
