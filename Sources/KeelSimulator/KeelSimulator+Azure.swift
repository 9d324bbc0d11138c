import Hummingbird
import NIOCore

extension KeelSimulator {
    /// `POST /openai/deployments/{deployment}/chat/completions` and `…/embeddings`: the OpenAI
    /// dialect on Azure's paths, the deployment name being the model. Needs `?api-version=`
    /// (404 `Resource not found` without it, as Azure answers); with a configured key, `api-key`
    /// or a Bearer token. Counted under `/openai/deployments/{deployment}/…`.
    func azure(
        _ request: Request, deployment: String, operation: String, context: SimulatorRequestContext
    ) async throws -> Response {
        let body = try await request.body.collect(upTo: Self.maxBodyBytes)
        let deployment = Self.percentDecoded(deployment)
        let path = "/openai/deployments/\(deployment)/\(operation)"
        guard let version = request.uri.queryParameters["api-version"], !version.isEmpty else {
            self.counter.record(path: path, model: nil)
            return Response.json(#"{"error":{"code":"404","message":"Resource not found"}}"#, status: .notFound)
        }
        if let refused = self.authenticationError(request, dialect: .azure) {
            self.counter.record(path: path, model: nil)
            return Response.error(refused, in: .azure, requestID: "")
        }
        if operation == "embeddings" {
            return try await self.embeddings(body, path: path, dialect: .azure, deployment: deployment, context: context)
        }
        return try await self.chatCompletion(body, path: path, dialect: .azure, deployment: deployment, context: context)
    }
}
