import KeelCore

/// An error answer in the OpenAI shape `{"error":{"message","type","param","code"}}`, with its
/// HTTP status: refused requests and scripted `status=` failures alike.
struct SimulatorError: Error, Sendable, Equatable {
    let status: Int
    let message: String
    let type: String
    let param: String?
    let code: String?
    var retryAfter: Int?
    /// The dialect's error type to report instead of the one the status maps to (`error_type=`).
    var typeOverride: String?
    /// Whether a `status=` directive or `fault=error` asked for it, rather than the request
    /// being refused: such errors get each dialect's stock message for the status.
    var isScripted = false

    /// The body the OpenAI SDKs parse.
    var body: String {
        var body = #"{"error":{"message":"#
        JSONWriter.appendString(self.message, to: &body)
        body += #","type":"#
        JSONWriter.appendString(self.typeOverride ?? self.type, to: &body)
        body += #","param":"#
        Self.appendOptional(self.param, to: &body)
        body += #","code":"#
        Self.appendOptional(self.code, to: &body)
        body += "}}"
        return body
    }

    private static func appendOptional(_ value: String?, to body: inout String) {
        if let value {
            JSONWriter.appendString(value, to: &body)
        } else {
            body += "null"
        }
    }

    static func invalidJSON(_ error: JSONScanner.SyntaxError) -> Self {
        Self(
            status: 400,
            message:
                "We could not parse the JSON body of your request: \(error.reason.rawValue) at byte \(error.offset).",
            type: "invalid_request_error",
            param: nil,
            code: nil
        )
    }

    static func missingParameter(_ name: String) -> Self {
        Self(
            status: 400,
            message: "Missing required parameter: '\(name)'.",
            type: "invalid_request_error",
            param: name,
            code: "missing_required_parameter"
        )
    }

    static func invalidParameter(_ name: String, _ message: String) -> Self {
        Self(status: 400, message: message, type: "invalid_request_error", param: name, code: "invalid_value")
    }

    static func modelNotFound(_ model: String) -> Self {
        Self(
            status: 404,
            message: "The model '\(model)' does not exist or you do not have access to it.",
            type: "invalid_request_error",
            param: "model",
            code: "model_not_found"
        )
    }

    /// Azure OpenAI's answer for a deployment that does not exist.
    static func deploymentNotFound(_ deployment: String) -> Self {
        Self(
            status: 404,
            message:
                "The API deployment '\(deployment)' for this resource does not exist. If you created the deployment "
                + "within the last 5 minutes, please wait a moment and try again.",
            type: "invalid_request_error",
            param: nil,
            code: "DeploymentNotFound"
        )
    }

    /// A 400 `invalid_request_error` with `message`, for the dialects whose errors carry no param.
    static func invalidRequest(_ message: String) -> Self {
        Self(status: 400, message: message, type: "invalid_request_error", param: nil, code: nil)
    }

    /// An error of `status` with `message`, typed by the dialect that renders it.
    static func status(_ status: Int, _ message: String, code: String? = nil) -> Self {
        Self(status: status, message: message, type: status >= 500 ? "server_error" : "invalid_request_error",
             param: nil, code: code)
    }

    static func wrongEndpoint(model: String, kind: SimulatedModel.Kind, path: String) -> Self {
        Self(
            status: 400,
            message: "The model '\(model)' is a \(kind.rawValue) model and is not supported by \(path).",
            type: "invalid_request_error",
            param: "model",
            code: "unsupported_model"
        )
    }

    static func invalidDirective(_ error: SimulatorDirectives.ParseError) -> Self {
        Self(status: 400, message: error.message, type: "invalid_request_error", param: nil, code: "invalid_directive")
    }

    /// The error a `status=` directive asks for, shaped as OpenAI shapes that status.
    static func scripted(status: Int, retryAfter: Int?, type typeOverride: String? = nil) -> Self {
        let (type, code, message): (String, String?, String) =
            switch status {
            case 429: ("rate_limit_error", "rate_limit_exceeded", "Rate limit reached for requests (simulated).")
            case 401: ("authentication_error", "invalid_api_key", "Incorrect API key provided (simulated).")
            case 403: ("permission_error", nil, "You are not allowed to sample from this model (simulated).")
            case 404: ("invalid_request_error", "model_not_found", "The model does not exist (simulated).")
            case 500: ("server_error", nil, "The server had an error while processing your request (simulated).")
            case 503:
                (
                    "server_error", "service_unavailable",
                    "The engine is currently overloaded, please try again later (simulated)."
                )
            case 529: ("server_error", "overloaded", "The service is temporarily overloaded (simulated).")
            case 500...: ("server_error", nil, "The server had an error while processing your request (simulated).")
            default: ("invalid_request_error", nil, "The request was rejected (simulated).")
            }
        return Self(
            status: status, message: message, type: type, param: nil, code: code, retryAfter: retryAfter,
            typeOverride: typeOverride, isScripted: true)
    }
}
