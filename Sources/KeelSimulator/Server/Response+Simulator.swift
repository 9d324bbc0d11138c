import HTTPTypes
import Hummingbird
import NIOCore

extension Response {
    /// A complete JSON response.
    static func json(_ body: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: body))
        )
    }

    /// The OpenAI-shaped response of `error`, with `retry-after` when it has one.
    static func error(_ error: SimulatorError) -> Response {
        .error(error, in: .openAI, requestID: "")
    }

    /// The response of `error` in `dialect`'s shape, with `retry-after` when it has one, and the
    /// dialect's request id header (Anthropic `request-id`, Bedrock `x-amzn-requestid` and
    /// `x-amzn-errortype`).
    static func error(_ error: SimulatorError, in dialect: SimulatorDialect, requestID: String, spaced: Bool = false) -> Response {
        let body = error.body(in: dialect, requestID: requestID)
        var response = Response.json(spaced ? SpacedJSON.respace(json: body) : body, status: HTTPResponse.Status(code: error.status))
        if let retryAfter = error.retryAfter {
            response.headers[.retryAfter] = String(retryAfter)
        }
        switch dialect {
        case .anthropic:
            response.headers[HTTPField.Name("request-id")!] = requestID
        case .bedrock:
            response.headers[HTTPField.Name("x-amzn-requestid")!] = requestID
            response.headers[HTTPField.Name("x-amzn-errortype")!] =
                error.bedrockType + ":http://internal.amazon.com/coral/com.amazon.bedrock/"
        case .openAI, .azure, .gemini:
            break
        }
        return response
    }

    /// Status 200 with a `content-length` of the whole `body`, but only its first half sent
    /// before the connection is closed: what a client sees when an upstream dies mid-body.
    static func truncated(_ body: String) -> Response {
        let bytes = ByteBuffer(string: body)
        let half = bytes.getSlice(at: bytes.readerIndex, length: bytes.readableBytes / 2) ?? ByteBuffer()
        return Response(
            status: .ok,
            headers: [.contentType: "application/json"],
            body: ResponseBody(contentLength: bytes.readableBytes) { writer in
                try await writer.write(half)
                throw SimulatedFaultError.truncated
            }
        )
    }

    /// Status 200 whose JSON body is made invalid by a last member without a value
    /// (`…,"keel_sim_fault":}`). Not a trailing comma: some lenient parsers accept that.
    static func malformed(_ body: String) -> Response {
        .json(String(body.dropLast()) + #","keel_sim_fault":}"#)
    }

    /// The complete answer `body`, or its `truncate` or `malformed` fault.
    static func answer(_ body: String, fault: SimulatorDirectives.Fault?) -> Response {
        switch fault {
        case .truncate: .truncated(body)
        case .malformed: .malformed(body)
        default: .json(body)
        }
    }
}
