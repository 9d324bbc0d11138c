import KeelCore
import KeelProviders
import NIOCore
import Synchronization
import Tracing

/// The spans of one admitted request: the request's own (kind server) and one child per
/// upstream attempt (kind client).
///
/// Made by ``GatewayTracing/startRequest(_:operation:)`` right after authentication, only when
/// tracing is on. The request span ends with ``end(_:finishReason:)``, called where the request's
/// record is completed, once its response has been written (a stream's last byte, a complete
/// answer's body); an error response ends it when its failure is recorded, just before the small
/// error body is written. Its attributes are read from the record, so the span says what the
/// record says. A span left open (a response never written) is ended when the trace is released.
///
/// An attempt span ends when its upstream call has been answered, or failed; a stream's winning
/// attempt stays open until the upstream stream ends (``endStreamAttempt(failure:)``).
final class RequestTrace: Sendable {
    private let tracing: GatewayTracing
    private let span: any Span
    private let operation: String
    private let state: Mutex<State>
    /// The bytes of each of the prompt and the answer put on the span; `nil` when contents are
    /// not captured (`tracing.capture_content` off, or not a chat request).
    let contentLimit: Int?

    private struct State: ~Copyable {
        var ended = false
        /// The stream attempt still reading its upstream.
        var openAttempt: (any Span)?
        /// The answer as the client received it, when contents are captured.
        var answer: ChatAnswerTranscript?
    }

    init(tracing: GatewayTracing, span: any Span, operation: String, contentLimit: Int? = nil) {
        self.tracing = tracing
        self.span = span
        self.operation = operation
        self.contentLimit = contentLimit
        self.state = Mutex(State(answer: contentLimit.map { ChatAnswerTranscript(limit: $0) }))
    }

    /// Whether the prompt and the answer go on the span.
    var capturesContent: Bool { self.contentLimit != nil }

    /// Puts the client's prompt on the span (contents captured only).
    func recordPrompt(_ request: ChatRequest) {
        guard let limit = self.contentLimit else { return }
        var budget = GenAIMessages.Budget(bytes: limit)
        var attributes = SpanAttributes()
        if let system = GenAIMessages.systemInstructions(request, budget: &budget) {
            attributes[SpanAttributeName.systemInstructions] = system
        }
        attributes[SpanAttributeName.inputMessages] = GenAIMessages.inputMessages(request, budget: &budget)
        if budget.truncated { attributes[SpanAttributeName.inputTruncated] = true }
        self.span.attributes.merge(attributes)
    }

    /// Adds events of the answer the client received (contents captured only).
    func recordAnswer(_ events: [ChatStreamEvent]) {
        guard self.contentLimit != nil, !events.isEmpty else { return }
        self.state.withLock { state in
            guard state.answer != nil else { return }
            for event in events { state.answer!.add(event) }
        }
    }

    /// Takes a complete answer, in the client's `dialect` (contents captured only).
    func recordAnswer(complete body: ByteBuffer, dialect: APIDialect) {
        guard self.contentLimit != nil, let decoder = ChatDialects.upstream(dialect),
            let response = try? decoder.decodeResponse(body)
        else { return }
        self.state.withLock { state in state.answer?.add(response) }
    }

    deinit {
        let (ended, attempt) = self.state.withLock { ($0.ended, $0.openAttempt) }
        attempt?.end()
        if !ended { self.span.end() }
    }

    /// Starts the span of attempt `number` at `deployment`, a child of the request's span.
    func startAttempt(_ deployment: ModelRegistry.Deployment, number: Int, resumed: Bool = false) -> AttemptTrace {
        let span = self.tracing.tracer.startSpan(
            "\(self.operation) \(deployment.upstreamModel)",
            context: self.span.context,
            ofKind: .client,
            at: DefaultTracerClock.now
        )
        var attributes = SpanAttributes()
        attributes[SpanAttributeName.operation] = self.operation
        attributes[SpanAttributeName.provider] = deployment.provider.name
        attributes[SpanAttributeName.requestModel] = deployment.upstreamModel
        attributes[SpanAttributeName.deployment] = deployment.upstreamModel
        attributes[SpanAttributeName.attempt] = number
        if resumed { attributes[SpanAttributeName.resumed] = true }
        if let address = self.tracing.upstreamAddresses[deployment.provider.name] {
            attributes[SpanAttributeName.serverAddress] = address.host
            attributes[SpanAttributeName.serverPort] = address.port
        }
        span.attributes.merge(attributes)
        var headers: [(name: String, value: String)] = []
        self.tracing.tracer.inject(span.context, into: &headers, using: HeaderListInjector())
        return AttemptTrace(span: span, upstream: UpstreamTraceContext(headers: headers))
    }

    /// Keeps `attempt`, which opened a stream, open until the stream ends. When one is held
    /// already (both attempts of a hedge answered), the first stays: it is the one relayed.
    func holdStreamAttempt(_ attempt: AttemptTrace) {
        let held = self.state.withLock { state -> Bool in
            guard state.openAttempt == nil, !state.ended else { return false }
            state.openAttempt = attempt.span
            return true
        }
        if !held { attempt.succeed() }
    }

    /// Ends the held stream attempt: its upstream stream ended, with `failure` when it broke.
    func endStreamAttempt(failure: KeelError?) {
        guard
            let span = self.state.withLock({ state -> (any Span)? in
                defer { state.openAttempt = nil }
                return state.openAttempt
            })
        else { return }
        if let failure { AttemptTrace.markFailed(span, failure) }
        span.end()
    }

    /// Ends the request's span with the attributes of its finished `record`; the first call only.
    /// `responseModel` is the model the upstream said answered (a stream's), when it said.
    func end(_ record: RequestRecord, finishReason: String? = nil, responseModel: String? = nil) {
        let ending = self.state.withLock { state -> (attempt: (any Span)?, answer: ChatAnswerTranscript?)? in
            guard !state.ended else { return nil }
            state.ended = true
            defer {
                state.openAttempt = nil
                state.answer = nil
            }
            return (state.openAttempt, state.answer)
        }
        guard let (attempt, answer) = ending else { return }
        if let attempt {
            if record.outcome != .success, let errorClass = record.errorClass {
                attempt.attributes[SpanAttributeName.errorType] = errorClass
                attempt.setStatus(SpanStatus(code: .error, message: errorClass))
            }
            attempt.end()
        }
        let span = self.span
        // A tool call's span is named for its tool; a model call's record may list the tools its
        // answer called, which are not what the span executes.
        let tool = record.operation.hasPrefix("mcp.") ? record.toolName : nil
        span.operationName =
            tool.map { "\(self.operation) \($0)" }
            ?? (record.requestedModel.isEmpty ? self.operation : "\(self.operation) \(record.requestedModel)")
        var attributes = SpanAttributes()
        if let tool { attributes[SpanAttributeName.toolName] = tool }
        if record.operation.hasPrefix("mcp.") {
            attributes[SpanAttributeName.mcpMethod] = String(record.operation.dropFirst(4))
        }
        attributes[SpanAttributeName.operation] = self.operation
        attributes[SpanAttributeName.requestID] = record.id.rawValue
        if !record.requestedModel.isEmpty { attributes[SpanAttributeName.requestModel] = record.requestedModel }
        if let provider = record.provider { attributes[SpanAttributeName.provider] = provider }
        if let model = responseModel ?? record.deployment { attributes[SpanAttributeName.responseModel] = model }
        if record.usageEstimated { attributes[SpanAttributeName.usageEstimated] = true }
        if record.outcome == .success || record.usage != .zero {
            attributes[SpanAttributeName.inputTokens] = Int(record.usage.inputTokens)
            attributes[SpanAttributeName.outputTokens] = Int(record.usage.outputTokens)
        }
        if let finishReason { attributes[SpanAttributeName.finishReasons] = [finishReason] }
        if let agent = record.agentID { attributes[SpanAttributeName.agentID] = agent }
        if let task = record.taskID { attributes[SpanAttributeName.taskID] = task }
        if let team = record.teamID { attributes[SpanAttributeName.teamID] = team.rawValue }
        if let project = record.projectID { attributes[SpanAttributeName.projectID] = project.rawValue }
        if let key = record.keyID { attributes[SpanAttributeName.keyID] = key.rawValue }
        attributes[SpanAttributeName.costUSD] = Double(record.cost.rawValue) / 1e9
        attributes[SpanAttributeName.cacheHit] = record.cacheHit
        attributes[SpanAttributeName.attempts] = record.attempts
        attributes[SpanAttributeName.stream] = record.stream
        attributes[SpanAttributeName.outcome] = record.outcome.rawValue
        if record.status > 0 { attributes[SpanAttributeName.httpStatus] = record.status }
        if let answer, !answer.isEmpty, let limit = self.contentLimit {
            var budget = GenAIMessages.Budget(bytes: limit)
            attributes[SpanAttributeName.outputMessages] = GenAIMessages.outputMessages(
                answer.content,
                finishReason: GenAIMessages.finishReason(record.outcome == .success ? answer.stopReason : nil),
                budget: &budget
            )
            if answer.truncated || budget.truncated { attributes[SpanAttributeName.outputTruncated] = true }
        }
        if record.outcome != .success {
            let errorType = record.errorClass ?? record.outcome.rawValue
            attributes[SpanAttributeName.errorType] = errorType
            span.setStatus(SpanStatus(code: .error, message: errorType))
        }
        span.attributes.merge(attributes)
        span.end()
    }

    /// `gen_ai.response.finish_reasons` of a complete answer in the client's `dialect`: OpenAI's
    /// first `choices[].finish_reason`, Anthropic's `stop_reason`. Read only when tracing is on.
    static func finishReason(ofComplete body: ByteBuffer, dialect: APIDialect) -> String? {
        guard let answer = try? JSONValue(parsing: body) else { return nil }
        switch dialect {
        case .openAI: return answer["choices"]?.array?.first?["finish_reason"]?.string
        case .anthropic: return answer["stop_reason"]?.string
        case .gemini, .bedrock: return nil
        }
    }
}

/// One upstream attempt's span and the trace context sent with its request.
struct AttemptTrace: Sendable {
    let span: any Span
    /// `traceparent` (and `tracestate`) naming this attempt's span as the upstream's parent.
    let upstream: UpstreamTraceContext

    /// Ends the span as a failed attempt.
    func fail(_ error: KeelError) {
        Self.markFailed(self.span, error)
        self.span.end()
    }

    /// Ends the span as a failed attempt whose error is not a `KeelError` (cancelled).
    func fail(errorType: String) {
        self.span.attributes[SpanAttributeName.errorType] = errorType
        self.span.setStatus(SpanStatus(code: .error, message: errorType))
        self.span.end()
    }

    func succeed() {
        self.span.end()
    }

    static func markFailed(_ span: any Span, _ error: KeelError) {
        span.attributes[SpanAttributeName.errorType] = error.metricLabel
        if let status = error.upstreamStatus { span.attributes[SpanAttributeName.httpStatus] = status }
        span.setStatus(SpanStatus(code: .error, message: error.metricLabel))
    }
}
