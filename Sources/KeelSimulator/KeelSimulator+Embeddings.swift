import Hummingbird

extension KeelSimulator {
    static let embeddingsPath = "/v1/embeddings"

    /// `POST /v1/embeddings`. Takes queued script entries and the model's latency; in-content
    /// directives are a chat feature.
    func embeddings(_ request: Request, context: SimulatorRequestContext) async throws -> Response {
        let body = try await request.body.collect(upTo: Self.maxBodyBytes)
        let embedding: EmbeddingRequest
        do {
            embedding = try EmbeddingRequest.parse(body)
        } catch {
            self.counter.record(path: Self.embeddingsPath, model: nil)
            return Response.error(error)
        }
        self.counter.record(path: Self.embeddingsPath, model: embedding.model)
        guard let model = self.models[embedding.model] else {
            return Response.error(.modelNotFound(embedding.model))
        }
        guard model.kind == .embedding else {
            return Response.error(.wrongEndpoint(model: model.name, kind: model.kind, path: Self.embeddingsPath))
        }
        let directives: SimulatorDirectives
        do {
            directives = try self.directives(for: model, text: nil)
        } catch {
            return Response.error(error)
        }
        if let early = try await self.prelude(directives, streaming: false, context: context) {
            return early
        }
        let answer = SimulatedEmbeddings(
            request: embedding, dimensions: embedding.dimensions ?? model.embeddingDimensions)
        let json = answer.body(base64: embedding.base64)
        switch directives.fault {
        case .truncate: return Response.truncated(json)
        case .malformed: return Response.malformed(json)
        default: return Response.json(json)
        }
    }
}
