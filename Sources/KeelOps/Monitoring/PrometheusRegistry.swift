import KeelCore

/// Everything `/metrics` exposes, counted since the process started (Prometheus computes rates
/// itself), per deployment series. The series cap of ``MonitoringStore`` applies: keys past it
/// are counted under the `other` series, so labels stay bounded.
struct PrometheusRegistry: Sendable {
    struct ErrorLabels: Sendable, Hashable, Comparable {
        /// `KeelError.metricLabel`, or `other` for a label Keel does not define.
        var errorType: String
        var errorClass: MonitoringErrorClass

        static func < (lhs: Self, rhs: Self) -> Bool { (lhs.errorType, lhs.errorClass) < (rhs.errorType, rhs.errorClass) }
    }

    struct Series: Sendable {
        var requestsByStatusClass: [String: Int64] = [:]
        var errors: [ErrorLabels: Int64] = [:]
        var costNanos: Int64 = 0
        /// Requests answered by the response cache, and what they saved.
        var cacheHits: Int64 = 0
        var cacheSavedNanos: Int64 = 0
        var inputTokens = PrometheusHistogram(bounds: PrometheusBuckets.tokenUsage)
        var outputTokens = PrometheusHistogram(bounds: PrometheusBuckets.tokenUsage)
        /// Keyed by error type; `nil` for successful requests.
        var durations: [String?: PrometheusHistogram] = [:]
        var timeToFirstToken = PrometheusHistogram(bounds: PrometheusBuckets.timeToFirstToken)
        var timePerOutputToken = PrometheusHistogram(bounds: PrometheusBuckets.timePerOutputToken)
    }

    private(set) var series: [DeploymentSeriesKey: Series] = [:]

    /// Known error labels: the codes of `KeelError`, so a label value can never come from
    /// anywhere else.
    private static let knownErrorTypes = Set(KeelError.Code.allCases.map(\.rawValue))

    static func statusClass(_ status: Int) -> String {
        switch status {
        case 100..<200: "1xx"
        case 200..<300: "2xx"
        case 300..<400: "3xx"
        case 400..<500: "4xx"
        case 500..<600: "5xx"
        default: "other"
        }
    }

    mutating func record(_ record: RequestRecord, key: DeploymentSeriesKey) {
        let errorClass = MonitoringErrorClass.classify(record)
        var errorType: String?
        if errorClass != nil {
            let label = record.errorClass ?? "other"
            errorType = Self.knownErrorTypes.contains(label) ? label : "other"
        }
        self.series[key, default: Series()].record(record, errorClass: errorClass, errorType: errorType)
    }
}

extension PrometheusRegistry.Series {
    mutating func record(_ record: RequestRecord, errorClass: MonitoringErrorClass?, errorType: String?) {
        self.requestsByStatusClass[PrometheusRegistry.statusClass(record.status), default: 0] += 1
        if let errorClass, let errorType {
            self.errors[.init(errorType: errorType, errorClass: errorClass), default: 0] += 1
        }
        self.costNanos += record.cost.rawValue
        if record.cacheHit {
            self.cacheHits += 1
            self.cacheSavedNanos += record.cacheSavedCost.rawValue
        }
        if record.usage.inputTokens > 0 || record.usage.outputTokens > 0 {
            self.inputTokens.observe(Double(record.usage.inputTokens))
            self.outputTokens.observe(Double(record.usage.outputTokens))
        }
        self.durations[errorType, default: PrometheusHistogram(bounds: PrometheusBuckets.requestDuration)]
            .observe(Double(max(0, record.totalMicros)) / 1_000_000)
        if errorClass == nil {
            if let ttft = record.ttftMicros {
                self.timeToFirstToken.observe(Double(max(0, ttft)) / 1_000_000)
                let output = record.usage.outputTokens
                if output > 1, record.totalMicros >= ttft {
                    self.timePerOutputToken.observe(Double(record.totalMicros - ttft) / Double(output - 1) / 1_000_000)
                }
            }
        }
    }
}
