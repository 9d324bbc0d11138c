/// The counters of one window slot, or of a merged window: plain sums, merged by addition.
struct MonitoringCounters: Sendable, Equatable {
    var requests: Int64 = 0
    var errors: Int64 = 0
    var rateLimitErrors: Int64 = 0
    var timeoutErrors: Int64 = 0
    var upstreamErrors: Int64 = 0
    var contentFilterErrors: Int64 = 0
    var clientErrors: Int64 = 0
    var inputTokens: Int64 = 0
    var outputTokens: Int64 = 0
    var cachedInputTokens: Int64 = 0
    var costNanos: Int64 = 0
    var agentTasks: Int64 = 0
    var agentTaskSuccesses: Int64 = 0
    /// Per latency objective, the requests it counts and those slower than its threshold.
    var objectiveEvents: [Int64]
    var objectiveSlow: [Int64]

    init(objectives: Int) {
        self.objectiveEvents = Array(repeating: 0, count: objectives)
        self.objectiveSlow = Array(repeating: 0, count: objectives)
    }

    subscript(errorClass: MonitoringErrorClass) -> Int64 {
        get {
            switch errorClass {
            case .rateLimit: self.rateLimitErrors
            case .timeout: self.timeoutErrors
            case .upstream: self.upstreamErrors
            case .contentFilter: self.contentFilterErrors
            case .client: self.clientErrors
            }
        }
        set {
            switch errorClass {
            case .rateLimit: self.rateLimitErrors = newValue
            case .timeout: self.timeoutErrors = newValue
            case .upstream: self.upstreamErrors = newValue
            case .contentFilter: self.contentFilterErrors = newValue
            case .client: self.clientErrors = newValue
            }
        }
    }

    mutating func record(_ sample: MonitoringSample) {
        if sample.countsRequest { self.requests += 1 }
        if let errorClass = sample.errorClass {
            self.errors += 1
            self[errorClass] += 1
        }
        self.inputTokens += sample.inputTokens
        self.outputTokens += sample.outputTokens
        self.cachedInputTokens += sample.cachedInputTokens
        self.costNanos += sample.costNanos
        if let succeeded = sample.agentTaskSucceeded {
            self.agentTasks += 1
            if succeeded { self.agentTaskSuccesses += 1 }
        }
        for (index, slow) in sample.slow.enumerated() {
            guard let slow else { continue }
            self.objectiveEvents[index] += 1
            if slow { self.objectiveSlow[index] += 1 }
        }
    }

    mutating func add(_ other: MonitoringCounters) {
        self.requests += other.requests
        self.errors += other.errors
        self.rateLimitErrors += other.rateLimitErrors
        self.timeoutErrors += other.timeoutErrors
        self.upstreamErrors += other.upstreamErrors
        self.contentFilterErrors += other.contentFilterErrors
        self.clientErrors += other.clientErrors
        self.inputTokens += other.inputTokens
        self.outputTokens += other.outputTokens
        self.cachedInputTokens += other.cachedInputTokens
        self.costNanos += other.costNanos
        self.agentTasks += other.agentTasks
        self.agentTaskSuccesses += other.agentTaskSuccesses
        for index in self.objectiveEvents.indices {
            self.objectiveEvents[index] += other.objectiveEvents[index]
            self.objectiveSlow[index] += other.objectiveSlow[index]
        }
    }
}
