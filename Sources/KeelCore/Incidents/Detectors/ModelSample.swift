/// One completed request to a model, as seen by Keel's gateway: the facts
/// from which `ModelDegradationDetector` learns what "healthy" looks like
/// for that model and notices when it stops being so.
public struct ModelSample: Sendable, Equatable {
    /// Output (completion) tokens produced; ignored for failed requests.
    public var outputTokens: Int
    /// Why generation stopped; ignored for failed requests.
    public var finishReason: FinishReason
    /// Failure class for a failed request ("timeout", "rate_limited",
    /// "upstream_5xx", "invalid_response", …), nil for a success.
    public var errorClass: String?
    /// Time to first token in microseconds, when streamed and measured.
    public var timeToFirstTokenMicros: Int64?
    /// Output tokens per second of generation, when measured.
    public var outputTokensPerSecond: Double?
    /// Model/version string the provider reported in its response
    /// (e.g. "gpt-4o-2024-08-06"), used to spot silent upgrades.
    public var reportedModel: String?
    /// Completion time, Unix microseconds.
    public var timeMicros: Int64

    /// Creates a sample; only the output tokens, finish reason and time are
    /// required.
    public init(
        outputTokens: Int,
        finishReason: FinishReason,
        errorClass: String? = nil,
        timeToFirstTokenMicros: Int64? = nil,
        outputTokensPerSecond: Double? = nil,
        reportedModel: String? = nil,
        timeMicros: Int64
    ) {
        self.outputTokens = outputTokens
        self.finishReason = finishReason
        self.errorClass = errorClass
        self.timeToFirstTokenMicros = timeToFirstTokenMicros
        self.outputTokensPerSecond = outputTokensPerSecond
        self.reportedModel = reportedModel
        self.timeMicros = timeMicros
    }

    /// Whether the request succeeded (no error class).
    public var succeeded: Bool { errorClass == nil }
}
