import HTTPTypes
import Hummingbird
import KeelCore

/// Answers the data-plane routes directly and everything else through the router.
///
/// `POST /v1/chat/completions`, `/v1/messages` and `/v1/embeddings` carry nearly all traffic; dispatching
/// them by a string comparison skips the router's lookup and middleware chain per request. Their
/// errors are rendered exactly as `DialectErrorMiddleware` renders them for the routed paths.
struct GatewayResponder<Routed: HTTPResponder>: HTTPResponder where Routed.Context == BasicRequestContext {
    typealias Context = BasicRequestContext

    let gateway: Gateway
    let router: Routed

    func respond(to request: Request, context: Context) async throws -> Response {
        guard request.method == .post else { return try await self.router.respond(to: request, context: context) }
        switch request.uri.path {
        case "/v1/chat/completions":
            return try await Self.rendering(.openAI) { try await self.gateway.chatCompletions(request) }
        case "/v1/messages":
            return try await Self.rendering(.anthropic) { try await self.gateway.messages(request) }
        case "/v1/embeddings":
            return try await Self.rendering(.openAI) { try await self.gateway.embeddings(request) }
        default:
            return try await self.router.respond(to: request, context: context)
        }
    }

    private static func rendering(_ dialect: APIDialect, _ body: () async throws -> Response) async throws -> Response {
        do {
            return try await body()
        } catch let error as KeelError {
            return DialectErrorMiddleware<BasicRequestContext>.response(for: error, dialect: dialect)
        } catch let failure as RecordedFailure {
            return DialectErrorMiddleware<BasicRequestContext>.response(for: failure.error, dialect: dialect, requestID: failure.requestID)
        }
    }
}
