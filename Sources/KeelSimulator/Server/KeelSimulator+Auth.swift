import HTTPTypes
import Hummingbird

extension KeelSimulator {
    /// The credential error for `request` in `dialect`, or `nil` when it may proceed.
    ///
    /// With no ``SimulatorConfiguration/apiKey`` every request proceeds, as the OpenAI routes
    /// always have. With one, each dialect looks where its SDKs put the key and answers as its
    /// provider does: OpenAI, Azure and Anthropic 401; Gemini 403 without a key and 400
    /// `API_KEY_INVALID` with a wrong one.
    func authenticationError(_ request: Request, dialect: SimulatorDialect) -> SimulatorError? {
        guard let key = self.configuration.apiKey else { return nil }
        let bearer = request.headers[.authorization].flatMap { value -> String? in
            value.hasPrefix("Bearer ") ? String(value.dropFirst(7)) : nil
        }
        func header(_ name: String) -> String? {
            HTTPField.Name(name).flatMap { request.headers[$0] }
        }
        switch dialect {
        case .openAI:
            guard bearer == key else {
                return SimulatorError(
                    status: 401, message: "Incorrect API key provided.", type: "invalid_request_error", param: nil,
                    code: "invalid_api_key")
            }
        case .azure:
            guard header("api-key") == key || bearer == key else {
                return SimulatorError(
                    status: 401,
                    message: "Access denied due to invalid subscription key or wrong API endpoint. Make sure to "
                        + "provide a valid key for an active subscription and use a correct regional API endpoint "
                        + "for your resource.",
                    type: "invalid_request_error", param: nil, code: "401")
            }
        case .anthropic:
            guard header("x-api-key") == key || bearer == key else {
                return .status(401, header("x-api-key") == nil && bearer == nil ? "x-api-key header is required" : "invalid x-api-key")
            }
        case .gemini:
            let given = header("x-goog-api-key") ?? request.uri.queryParameters["key"].map(String.init)
            guard let given else {
                return .status(
                    403, "Method doesn't allow unregistered callers (callers without established identity). "
                        + "Please use API Key or other form of API consumer identity to call this API.")
            }
            guard given == key else {
                return .status(400, "API key not valid. Please pass a valid API key.")
            }
        case .bedrock:
            return nil
        }
        return nil
    }

    /// Bedrock's check: an `Authorization` header of the SigV4 form and an `x-amz-date` header.
    /// The signature itself is not verified.
    func bedrockSignatureError(_ request: Request) -> SimulatorError? {
        guard let authorization = request.headers[.authorization] else {
            return SimulatorError(
                status: 403, message: "Missing Authentication Token", type: "", param: nil, code: nil,
                typeOverride: "MissingAuthenticationTokenException")
        }
        guard authorization.hasPrefix("AWS4-HMAC-SHA256 Credential=") else {
            return SimulatorError(
                status: 403,
                message: "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters "
                    + "of the AWS4-HMAC-SHA256 form.",
                type: "", param: nil, code: nil, typeOverride: "IncompleteSignatureException")
        }
        guard HTTPField.Name("x-amz-date").flatMap({ request.headers[$0] }) != nil else {
            return SimulatorError(
                status: 403,
                message: "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
                type: "", param: nil, code: nil, typeOverride: "IncompleteSignatureException")
        }
        return nil
    }
}
