/// The span attribute names of Keel's traces.
///
/// The `gen_ai.*`, `server.*`, `error.type` and `http.*` names follow the OpenTelemetry semantic
/// conventions (GenAI spans, v1.37: https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-spans/).
/// swift-otel-semantic-conventions has them only behind its `Experimental` trait, which asks to
/// pin its minor version, so they are kept here. Keel's own attributes live under `keel.*`.
public enum SpanAttributeName {
    public static let operation = "gen_ai.operation.name"
    public static let provider = "gen_ai.provider.name"
    public static let requestModel = "gen_ai.request.model"
    public static let responseModel = "gen_ai.response.model"
    public static let inputTokens = "gen_ai.usage.input_tokens"
    public static let outputTokens = "gen_ai.usage.output_tokens"
    public static let finishReasons = "gen_ai.response.finish_reasons"
    public static let agentID = "gen_ai.agent.id"
    /// A tool call through the MCP gateway: the tool, its call id, and the MCP method.
    public static let toolName = "gen_ai.tool.name"
    public static let toolCallID = "gen_ai.tool.call.id"
    public static let mcpMethod = "mcp.method.name"
    public static let mcpSessionID = "mcp.session.id"
    public static let serverAddress = "server.address"
    public static let serverPort = "server.port"
    public static let errorType = "error.type"
    public static let httpStatus = "http.response.status_code"
    /// Contents (`tracing.capture_content` only): JSON arrays in the conventions' message shape
    /// (``GenAIMessages``).
    public static let systemInstructions = "gen_ai.system_instructions"
    public static let inputMessages = "gen_ai.input.messages"
    public static let outputMessages = "gen_ai.output.messages"

    public static let requestID = "keel.request.id"
    public static let teamID = "keel.team.id"
    public static let projectID = "keel.project.id"
    public static let keyID = "keel.key.id"
    public static let taskID = "keel.task.id"
    public static let costUSD = "keel.cost.usd"
    public static let cacheHit = "keel.cache.hit"
    public static let attempts = "keel.attempts"
    public static let stream = "keel.stream"
    public static let outcome = "keel.outcome"
    /// The usage and cost are the gateway's estimate (``RequestRecord/usageEstimated``).
    public static let usageEstimated = "keel.usage.estimated"
    /// The attempt's number within its request (1 for the first).
    public static let attempt = "keel.attempt"
    /// The deployment an attempt went to (the upstream's model name).
    public static let deployment = "keel.deployment"
    /// An attempt that continued a stream cut after content (`models[].stream_resume`).
    public static let resumed = "keel.attempt.resumed"
    /// The prompt on the span was cut at `tracing.content_max_bytes`.
    public static let inputTruncated = "keel.content.input_truncated"
    /// The answer on the span was cut at `tracing.content_max_bytes`.
    public static let outputTruncated = "keel.content.output_truncated"
}
