import HTTPTypes
import Hummingbird
import KeelCore
import NIOCore

extension KeelSimulator {
    /// `POST /v1beta/models/{model}:{method}` for the methods `generateContent`,
    /// `streamGenerateContent` (`?alt=sse` for server-sent events, else a streamed JSON array),
    /// `countTokens`, `embedContent` and `batchEmbedContents`. Requests are counted under
    /// `/v1beta/models/{model}:{method}`.
    func gemini(_ request: Request, target: String, context: SimulatorRequestContext) async throws -> Response {
        let requestID = self.requestID()
        let body = try await request.body.collect(upTo: Self.maxBodyBytes)
        guard let colon = target.lastIndex(of: ":") else {
            self.counter.record(path: request.uri.path, model: nil)
            return Response.error(.status(404, "Method not found: \(target)."), in: .gemini, requestID: requestID)
        }
        let model = Self.percentDecoded(target[..<colon])
        let method = String(target[target.index(after: colon)...])
        let path = "/v1beta/models/\(model):\(method)"
        if let refused = self.authenticationError(request, dialect: .gemini) {
            self.counter.record(path: path, model: nil)
            return Response.error(refused, in: .gemini, requestID: requestID)
        }
        switch method {
        case "generateContent", "streamGenerateContent", "countTokens":
            let generate: GeminiGenerateRequest
            do {
                generate = try GeminiGenerateRequest.parse(body, model: model)
            } catch {
                self.counter.record(path: path, model: nil)
                return Response.error(error, in: .gemini, requestID: requestID)
            }
            self.counter.record(path: path, model: model)
            if method == "countTokens" {
                guard self.models[model]?.kind == .chat else {
                    return Response.error(Self.geminiModelNotFound(model, method), in: .gemini, requestID: requestID)
                }
                return Response.json(#"{"totalTokens":"# + String(generate.prompt.promptTokens) + "}")
            }
            let plan: Plan
            do {
                plan = try self.plan(
                    generate.prompt, path: path, defaultReasoning: generate.includeThoughts ? 16 : 0,
                    notFound: { Self.geminiModelNotFound($0, method) })
            } catch {
                return Response.error(error, in: .gemini, requestID: requestID)
            }
            let sse = request.uri.queryParameters["alt"] == "sse"
            let thoughts = generate.includeThoughts
            return try await self.respond(
                plan, streaming: method == "streamGenerateContent", dialect: .gemini, requestID: requestID,
                context: context,
                body: { GeminiResponseRenderer(completion: $0, includeThoughts: thoughts).body },
                renderer: { GeminiResponseRenderer(completion: $0, includeThoughts: thoughts, sse: sse) }
            )
        case "embedContent", "batchEmbedContents":
            return try await self.geminiEmbed(body, model: model, batch: method == "batchEmbedContents", path: path, requestID: requestID, context: context)
        default:
            self.counter.record(path: path, model: nil)
            return Response.error(.status(404, "Method not found: \(method)."), in: .gemini, requestID: requestID)
        }
    }

    /// `embedContent` (`{"content":{"parts":[{"text"}]},"outputDimensionality"?}` →
    /// `{"embedding":{"values"}}`) and `batchEmbedContents` (`{"requests":[…]}` →
    /// `{"embeddings":[…]}`). A text gets the same vector as the same OpenAI input string.
    private func geminiEmbed(
        _ body: ByteBuffer, model: String, batch: Bool, path: String, requestID: String,
        context: SimulatorRequestContext
    ) async throws -> Response {
        let json: JSONValue
        do {
            json = try JSONValue(parsing: body)
        } catch {
            self.counter.record(path: path, model: nil)
            return Response.error(.invalidRequest("Invalid JSON payload received."), in: .gemini, requestID: requestID)
        }
        let requests = batch ? (json["requests"]?.array ?? []) : [json]
        var inputs: [(text: String, dimensions: Int?)] = []
        for request in requests {
            guard let parts = request["content"]?["parts"]?.array else {
                self.counter.record(path: path, model: nil)
                return Response.error(
                    .invalidRequest("* EmbedContentRequest.content: content is not specified\n"), in: .gemini,
                    requestID: requestID)
            }
            inputs.append(
                (parts.compactMap { $0["text"]?.string }.joined(separator: " "), request["outputDimensionality"]?.int))
        }
        self.counter.record(path: path, model: model)
        guard let simulated = self.models[model], simulated.kind == .embedding else {
            return Response.error(Self.geminiModelNotFound(model, batch ? "batchEmbedContents" : "embedContent"), in: .gemini, requestID: requestID)
        }
        let directives: SimulatorDirectives
        do {
            directives = try self.directives(for: simulated, text: nil)
        } catch {
            return Response.error(error, in: .gemini, requestID: requestID)
        }
        if let error = try await self.prelude(directives, streaming: false, dialect: .gemini, context: context) {
            return Response.error(error, in: .gemini, requestID: requestID)
        }
        let embeddings = inputs.map { input in
            let vector = SimulatedEmbeddings.vector(
                seed: StableHash.of(input.text.utf8),
                dimensions: min(max(input.dimensions ?? simulated.embeddingDimensions, 1), 16_384))
            return #"{"values":["# + vector.map(\.description).joined(separator: ",") + "]}"
        }
        let answer = batch ? #"{"embeddings":["# + embeddings.joined(separator: ",") + "]}" : #"{"embedding":"# + (embeddings.first ?? "{}") + "}"
        return Response.answer(answer, fault: directives.fault)
    }

    static func geminiModelNotFound(_ model: String, _ method: String) -> SimulatorError {
        .status(
            404,
            "models/\(model) is not found for API version v1beta, or is not supported for \(method). Call "
                + "ListModels to see the list of available models and their supported methods.")
    }
}
