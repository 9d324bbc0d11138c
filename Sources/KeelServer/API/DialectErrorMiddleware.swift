import HTTPTypes
import Hummingbird
import KeelCore
import Logging
import NIOCore

/// Renders every error of the routes behind it as the OpenAI error JSON with the right status,
/// so a client never sees Hummingbird's plain-text errors or a 500 for its own mistake.
struct DialectErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as KeelError {
            return Self.response(for: error)
        } catch let error as HTTPError {
            return Self.response(for: Self.keelError(for: error))
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            context.logger.error("Unhandled error in request", metadata: [LogKey.errorType: "\(type(of: error))"])
            return Self.response(for: .internalError())
        }
    }

    static func response(for error: KeelError) -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let retryAfter = error.retryAfterSeconds, error.httpStatus == 429 {
            headers[.retryAfter] = String(Int(retryAfter.rounded(.up)))
        }
        return Response(
            status: HTTPResponse.Status(code: error.httpStatus),
            headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(string: error.openAIBody))
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
