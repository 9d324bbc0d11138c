/// A chat request in Keel's canonical form: what every dialect's chat call means, independent of
/// how it is spelled on the wire.
///
/// Built only when the client's dialect differs from the upstream's (pass-through needs no
/// translation). A dialect's decoder fills it from a client body; another dialect's encoder
/// writes it as an upstream body. What a decoder could not map is listed in
/// ``unsupportedParameters``, so an encoder refuses it with a clear error instead of dropping it.
public struct ChatRequest: Sendable, Equatable {
    /// The model the client asked for (rewritten to the deployment's model before encoding).
    public var model: String
    /// System (and OpenAI `developer`) instructions, in order. Text parts only.
    public var system: [ChatContent]
    public var messages: [ChatMessage]
    public var tools: [ChatTool]
    /// `nil` leaves the choice to the upstream's default (`auto` when tools are present).
    public var toolChoice: ChatToolChoice?
    /// `false` asks for at most one tool call per turn.
    public var parallelToolCalls: Bool?
    /// The most tokens to generate. Dialects that require a value get the encoder's default.
    public var maxTokens: Int?
    public var temperature: Double?
    public var topP: Double?
    public var topK: Int?
    public var stopSequences: [String]
    public var stream: Bool
    /// The client asked for usage in its stream (OpenAI `stream_options.include_usage`);
    /// Anthropic streams always carry it.
    public var streamUsage: Bool
    public var responseFormat: ChatResponseFormat?
    /// Extended thinking / reasoning.
    public var reasoning: ChatReasoning?
    /// An end-user id for the upstream's abuse monitoring (OpenAI `user`, Anthropic
    /// `metadata.user_id`).
    public var user: String?
    /// Parameters of the client's body that have no canonical meaning (e.g. OpenAI `logprobs`),
    /// by their wire name. An encoder for another dialect refuses a request that has any.
    public var unsupportedParameters: [String]

    public init(
        model: String,
        system: [ChatContent] = [],
        messages: [ChatMessage],
        tools: [ChatTool] = [],
        toolChoice: ChatToolChoice? = nil,
        parallelToolCalls: Bool? = nil,
        maxTokens: Int? = nil,
        temperature: Double? = nil,
        topP: Double? = nil,
        topK: Int? = nil,
        stopSequences: [String] = [],
        stream: Bool = false,
        streamUsage: Bool = false,
        responseFormat: ChatResponseFormat? = nil,
        reasoning: ChatReasoning? = nil,
        user: String? = nil,
        unsupportedParameters: [String] = []
    ) {
        self.model = model
        self.system = system
        self.messages = messages
        self.tools = tools
        self.toolChoice = toolChoice
        self.parallelToolCalls = parallelToolCalls
        self.maxTokens = maxTokens
        self.temperature = temperature
        self.topP = topP
        self.topK = topK
        self.stopSequences = stopSequences
        self.stream = stream
        self.streamUsage = streamUsage
        self.responseFormat = responseFormat
        self.reasoning = reasoning
        self.user = user
        self.unsupportedParameters = unsupportedParameters
    }
}

/// One turn of the conversation.
///
/// Tool results are content of a `user` message (Anthropic's model); an OpenAI `tool` message
/// becomes a user message with one ``ChatContent/toolResult(_:)`` part, and consecutive ones
/// merge into one message.
public struct ChatMessage: Sendable, Equatable {
    public enum Role: String, Sendable, Equatable {
        case user
        case assistant
    }

    public var role: Role
    public var content: [ChatContent]

    public init(role: Role, content: [ChatContent]) {
        self.role = role
        self.content = content
    }
}

/// A part of a message, of the system prompt, or of an answer.
public enum ChatContent: Sendable, Equatable {
    case text(ChatText)
    case image(ChatImage)
    /// A tool call the assistant made.
    case toolCall(ChatToolCall)
    /// The result of a tool call, sent back by the client.
    case toolResult(ChatToolResult)
    /// The assistant's visible reasoning (Anthropic `thinking`, Gemini thought parts).
    case thinking(ChatThinking)
    /// The assistant declined to answer (OpenAI `refusal`).
    case refusal(String)

    /// A plain text part.
    public static func text(_ text: String) -> ChatContent { .text(ChatText(text)) }
}

public struct ChatText: Sendable, Equatable {
    public var text: String
    /// Anthropic prompt-caching breakpoint on this part.
    public var cache: ChatCacheControl?

    public init(_ text: String, cache: ChatCacheControl? = nil) {
        self.text = text
        self.cache = cache
    }
}

/// An Anthropic-style cache breakpoint: the prompt up to here may be written to the cache.
public struct ChatCacheControl: Sendable, Equatable {
    public enum TTL: String, Sendable, Equatable {
        case fiveMinutes = "5m"
        case oneHour = "1h"
    }

    public var ttl: TTL

    public init(ttl: TTL = .fiveMinutes) {
        self.ttl = ttl
    }
}

public enum ChatImage: Sendable, Equatable {
    /// An `http(s)` URL the upstream fetches itself.
    case url(String)
    /// Inline image bytes, base64-encoded (from a `data:` URL or an Anthropic/Gemini/Bedrock
    /// inline source).
    case base64(mediaType: String, data: String)
}

public struct ChatToolCall: Sendable, Equatable {
    public var id: String
    public var name: String
    /// The arguments as JSON text (an object), exactly as generated.
    public var arguments: String

    public init(id: String, name: String, arguments: String) {
        self.id = id
        self.name = name
        self.arguments = arguments
    }
}

public struct ChatToolResult: Sendable, Equatable {
    public var toolCallID: String
    /// The result: text and image parts.
    public var content: [ChatContent]
    public var isError: Bool

    public init(toolCallID: String, content: [ChatContent], isError: Bool = false) {
        self.toolCallID = toolCallID
        self.content = content
        self.isError = isError
    }
}

public struct ChatThinking: Sendable, Equatable {
    public var text: String
    /// Anthropic's signature, which must travel back unchanged in the next turn.
    public var signature: String?
    /// Encrypted reasoning the upstream would not show (Anthropic `redacted_thinking.data`), which
    /// must also travel back unchanged; ``text`` is then empty.
    public var redactedData: String?

    public init(text: String, signature: String? = nil, redactedData: String? = nil) {
        self.text = text
        self.signature = signature
        self.redactedData = redactedData
    }
}

/// A function the model may call.
public struct ChatTool: Sendable, Equatable {
    public var name: String
    public var description: String?
    /// The JSON Schema of the arguments (an object schema).
    public var parameters: JSONValue
    /// OpenAI `strict` function calling.
    public var strict: Bool?
    public var cache: ChatCacheControl?

    public init(name: String, description: String? = nil, parameters: JSONValue, strict: Bool? = nil, cache: ChatCacheControl? = nil) {
        self.name = name
        self.description = description
        self.parameters = parameters
        self.strict = strict
        self.cache = cache
    }
}

public enum ChatToolChoice: Sendable, Equatable {
    /// The model decides.
    case auto
    /// No tool call.
    case none
    /// At least one tool call (OpenAI `required`, Anthropic `any`).
    case required
    /// This tool must be called.
    case tool(String)
}

public enum ChatResponseFormat: Sendable, Equatable {
    case text
    /// Any JSON object (OpenAI `json_object`).
    case jsonObject
    /// JSON matching `schema` (OpenAI `json_schema`).
    case jsonSchema(name: String, schema: JSONValue, strict: Bool?)
}

/// How much the model may think before answering.
public enum ChatReasoning: Sendable, Equatable {
    /// OpenAI `reasoning_effort` (`minimal`, `low`, `medium`, `high`).
    case effort(String)
    /// Anthropic `thinking.budget_tokens`, Gemini `thinkingBudget`.
    case budgetTokens(Int)
}
