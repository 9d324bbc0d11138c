import HTTPTypes
import Hummingbird
import KeelCore
import NIOCore

extension KeelSimulator {
    static let messagesPath = "/v1/messages"
    static let countTokensPath = "/v1/messages/count_tokens"

    /// `POST /v1/messages`: Anthropic Messages, streamed or not.
    ///
    /// Needs an `anthropic-version` header (400 without, as the API answers). With thinking
    /// enabled and no reasoning tokens from the directives, the answer thinks 16 tokens.
    func anthropicMessages(_ request: Request, context: SimulatorRequestContext) async throws -> Response {
        let requestID = "req_011" + self.requestID()
        let body = try await request.body.collect(upTo: Self.maxBodyBytes)
        if let refused = self.anthropicHeaderError(request) {
            self.counter.record(path: Self.messagesPath, model: nil)
            return Response.error(refused, in: .anthropic, requestID: requestID)
        }
        let messages: AnthropicMessagesRequest
        do {
            messages = try AnthropicMessagesRequest.parse(body)
        } catch {
            self.counter.record(path: Self.messagesPath, model: nil)
            return Response.error(error, in: .anthropic, requestID: requestID)
        }
        self.counter.record(path: Self.messagesPath, model: messages.prompt.model)
        let plan: Plan
        do {
            plan = try self.plan(
                messages.prompt, path: Self.messagesPath, defaultReasoning: messages.thinkingEnabled ? 16 : 0,
                notFound: Self.anthropicModelNotFound)
        } catch {
            return Response.error(error, in: .anthropic, requestID: requestID)
        }
        let thinking = messages.thinkingEnabled
        return try await self.respond(
            plan, streaming: messages.stream, dialect: .anthropic, requestID: requestID,
            headers: [HTTPField.Name("request-id")!: requestID], context: context,
            body: { AnthropicMessageRenderer(completion: $0, thinking: thinking).body },
            renderer: { AnthropicMessageRenderer(completion: $0, thinking: thinking) }
        )
    }

    /// `POST /v1/messages/count_tokens`: `{"input_tokens":N}`, the prompt tokens a message call
    /// with the same body reports (`input_tokens` plus cache reads and writes). Takes no
    /// directives.
    func anthropicCountTokens(_ request: Request, context: SimulatorRequestContext) async throws -> Response {
        let requestID = "req_011" + self.requestID()
        let body = try await request.body.collect(upTo: Self.maxBodyBytes)
        if let refused = self.anthropicHeaderError(request) {
            self.counter.record(path: Self.countTokensPath, model: nil)
            return Response.error(refused, in: .anthropic, requestID: requestID)
        }
        let messages: AnthropicMessagesRequest
        do {
            messages = try AnthropicMessagesRequest.parse(body, countingOnly: true)
        } catch {
            self.counter.record(path: Self.countTokensPath, model: nil)
            return Response.error(error, in: .anthropic, requestID: requestID)
        }
        self.counter.record(path: Self.countTokensPath, model: messages.prompt.model)
        guard let model = self.models[messages.prompt.model], model.kind == .chat else {
            return Response.error(
                Self.anthropicModelNotFound(messages.prompt.model), in: .anthropic, requestID: requestID)
        }
        var response = Response.json(#"{"input_tokens":"# + String(messages.prompt.promptTokens) + "}")
        response.headers[HTTPField.Name("request-id")!] = requestID
        return response
    }

    private func anthropicHeaderError(_ request: Request) -> SimulatorError? {
        if let error = self.authenticationError(request, dialect: .anthropic) { return error }
        guard request.headers[HTTPField.Name("anthropic-version")!] != nil else {
            return .invalidRequest("anthropic-version: header is required")
        }
        return nil
    }

    static func anthropicModelNotFound(_ model: String) -> SimulatorError {
        .status(404, "model: \(model)")
    }
}
