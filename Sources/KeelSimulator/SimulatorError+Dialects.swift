import KeelCore

extension SimulatorError {
    /// The error body in `dialect`'s shape, as that provider's SDKs parse it.
    ///
    /// - OpenAI: `{"error":{"message","type","param","code"}}`.
    /// - Azure OpenAI: the OpenAI shape; a 429 has Azure's `{"error":{"code":"429","message"}}`.
    /// - Anthropic: `{"type":"error","error":{"type","message"},"request_id"}`.
    /// - Gemini: `{"error":{"code","message","status"}}`.
    /// - Bedrock: `{"message"}`; the type goes in the `x-amzn-errortype` header.
    func body(in dialect: SimulatorDialect, requestID: String) -> String {
        switch dialect {
        case .openAI:
            return self.body
        case .azure:
            guard self.status == 429, self.isScripted else { return self.body }
            return #"{"error":{"code":"429","message":"#
                + JSONWriter.quoted(
                    "Requests to the ChatCompletions_Create Operation under Azure OpenAI API have exceeded the rate "
                        + "limit of your current pricing tier. Please retry after \(self.retryAfter ?? 1) seconds "
                        + "(simulated).") + "}}"
        case .anthropic:
            return #"{"type":"error","error":"# + self.anthropicEvent + #","request_id":"#
                + JSONWriter.quoted(requestID) + "}"
        case .gemini:
            return self.geminiBody
        case .bedrock:
            return #"{"message":"# + JSONWriter.quoted(self.dialectMessage(.bedrock)) + "}"
        }
    }

    /// Anthropic's `{"type","message"}` error object, also the `error` of an in-stream error event.
    var anthropicEvent: String {
        #"{"type":"# + JSONWriter.quoted(self.anthropicType) + #","message":"#
            + JSONWriter.quoted(self.dialectMessage(.anthropic)) + "}"
    }

    /// Google's `{"error":{"code","message","status"}}`; a rejected API key also carries the
    /// `google.rpc.ErrorInfo` detail with reason `API_KEY_INVALID`, as Google sends it.
    var geminiBody: String {
        let message = self.dialectMessage(.gemini)
        var details = ""
        if self.status == 400 && message.hasPrefix("API key not valid") {
            details = #","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com"}]"#
        }
        return #"{"error":{"code":"# + String(self.status) + #","message":"#
            + JSONWriter.quoted(message) + #","status":"# + JSONWriter.quoted(self.geminiStatus) + details
            + "}}"
    }

    /// Anthropic's error type for the status.
    var anthropicType: String {
        if let override = self.typeOverride { return override }
        return switch self.status {
        case 400: "invalid_request_error"
        case 401: "authentication_error"
        case 402: "billing_error"
        case 403: "permission_error"
        case 404: "not_found_error"
        case 413: "request_too_large"
        case 429: "rate_limit_error"
        case 504: "timeout_error"
        case 529: "overloaded_error"
        case 500...: "api_error"
        default: "invalid_request_error"
        }
    }

    /// Google's canonical status name for the HTTP status.
    var geminiStatus: String {
        if let override = self.typeOverride { return override }
        return switch self.status {
        case 400, 413: "INVALID_ARGUMENT"
        case 401: "UNAUTHENTICATED"
        case 403: "PERMISSION_DENIED"
        case 404: "NOT_FOUND"
        case 409: "ABORTED"
        case 429: "RESOURCE_EXHAUSTED"
        case 499: "CANCELLED"
        case 501: "UNIMPLEMENTED"
        case 503, 529: "UNAVAILABLE"
        case 504: "DEADLINE_EXCEEDED"
        case 500...: "INTERNAL"
        default: "FAILED_PRECONDITION"
        }
    }

    /// Bedrock's exception name for the status, as `x-amzn-errortype` carries it.
    var bedrockType: String {
        if let override = self.typeOverride { return override }
        return switch self.status {
        case 400, 413: "ValidationException"
        case 401, 403: "AccessDeniedException"
        case 404: "ResourceNotFoundException"
        case 408: "ModelTimeoutException"
        case 424: "ModelErrorException"
        case 429: "ThrottlingException"
        case 503, 529: "ServiceUnavailableException"
        case 500...: "InternalServerException"
        default: "ValidationException"
        }
    }

    /// The message: the refusal's own, or for a scripted error the stock sentence the dialect's
    /// provider sends for that status.
    func dialectMessage(_ dialect: SimulatorDialect) -> String {
        guard self.isScripted else { return self.message }
        switch dialect {
        case .openAI, .azure:
            return self.message
        case .anthropic:
            return switch self.status {
            case 429: "Number of request tokens has exceeded your per-minute rate limit (simulated)."
            case 529: "Overloaded (simulated)."
            case 500...: "Internal server error (simulated)."
            default: self.message
            }
        case .gemini:
            return switch self.status {
            case 429: "Resource has been exhausted (e.g. check quota) (simulated)."
            case 503, 529: "The model is overloaded. Please try again later (simulated)."
            case 500...: "An internal error has occurred (simulated)."
            default: self.message
            }
        case .bedrock:
            return switch self.status {
            case 429: "Too many requests, please wait before trying again (simulated)."
            case 503, 529: "The service is unavailable. Please try again later (simulated)."
            case 500...: "The server encountered an internal error (simulated)."
            default: self.message
            }
        }
    }
}
