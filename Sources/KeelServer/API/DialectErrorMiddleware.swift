import HTTPTypes
import Hummingbird
import KeelCore
import Logging
import NIOCore

/// Renders every error of the routes behind it in the dialect of the route — Anthropic's error
/// JSON under `/v1/messages`, OpenAI's everywhere else — with the right status, so a client never
/// sees Hummingbird's plain-text errors or a 500 for its own mistake.
struct DialectErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let dialect = Self.dialect(ofPath: request.uri.path)
        do {
            return try await next(request, context)
        } catch let error as KeelError {
            return Self.response(for: error, dialect: dialect)
        } catch let failure as RecordedFailure {
            return Self.response(for: failure.error, dialect: dialect, requestID: failure.requestID)
        } catch let error as HTTPError {
            return Self.response(for: Self.keelError(for: error), dialect: dialect)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            context.logger.error("Unhandled error in request", metadata: [LogKey.errorType: "\(type(of: error))"])
            return Self.response(for: .internalError(), dialect: dialect)
        }
    }

    /// The dialect errors on `path` are shown in.
    static func dialect(ofPath path: String) -> APIDialect {
        path.hasPrefix("/v1/messages") ? .anthropic : .openAI
    }

    /// The error response; `requestID` names the record of an admitted request.
    static func response(for error: KeelError, dialect: APIDialect = .openAI, requestID: String? = nil) -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let requestID { headers[.keelRequestID] = requestID }
        if let retryAfter = error.retryAfterSeconds, error.httpStatus == 429 {
            headers[.retryAfter] = String(Int(retryAfter.rounded(.up)))
        }
        return Response(
            status: HTTPResponse.Status(code: error.httpStatus),
            headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(string: dialect == .anthropic ? error.anthropicBody : error.openAIBody))
        )
    }

    static func keelError(for error: HTTPError) -> KeelError {
        switch error.status.code {
        case 404: .notFound("Unknown route.")
        case 405: .invalidRequest("Method not allowed on this route.")
        case 413: KeelError(.payloadTooLarge, message: "The request body is too large.")
        case 400..<500: .invalidRequest(error.body ?? "Bad request.")
        default: .internalError()
        }
    }
}
