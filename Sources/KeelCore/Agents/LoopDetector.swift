/// Finds an agent task going round in circles, from its steps as they are admitted: the same
/// request sent again and again, two requests alternating, the same tool called with the same
/// arguments and getting the same result, or steps far faster than the agent's norm.
///
/// A step is described by fingerprints (``Step``), not content. What is *not* a loop: a step
/// retried after it failed (the same request again once), pagination and retries with changed
/// arguments (another tool call), a long task whose history grows (every request differs).
public struct LoopDetector: Sendable {
    public enum Kind: String, Sendable, Equatable, CaseIterable {
        case repeatedRequest = "repeated_request"
        case alternatingRequests = "alternating_requests"
        case repeatedToolCall = "repeated_tool_call"
        case stepRate = "step_rate"
    }

    /// One step of a task, as fingerprints.
    public struct Step: Sendable, Equatable {
        /// The request's id, to mark it failed when its record says so.
        public var requestID: String
        /// The request's body.
        public var request: UInt64
        /// The last tool call in its history with the results that followed it (name, arguments,
        /// results), when it has one.
        public var toolCall: UInt64?
        /// Unix µs.
        public var at: Int64

        public init(requestID: String, request: UInt64, toolCall: UInt64?, at: Int64) {
            self.requestID = requestID
            self.request = request
            self.toolCall = toolCall
            self.at = at
        }
    }

    public struct Thresholds: Sendable, Equatable {
        /// The same request this many times in a row (each earlier one not failed).
        public var repeats = 3
        /// Two requests alternating for this many full cycles.
        public var cycles = 3
        /// The same tool call with the same result at the end of this many consecutive steps.
        public var toolRepeats = 3
        /// Steps within one minute above which a task runs away: `rateFactor` times the agent's
        /// norm (steps per minute), and at least `rateFloor`.
        public var rateFactor = 5.0
        public var rateFloor = 30

        public init() {}
    }

    public let thresholds: Thresholds
    /// The agent's norm in steps per minute, when it has one.
    public var norm: Double?
    private var steps: [Step] = []
    private var failed: Set<String> = []
    private var minute: [Int64] = []

    public init(thresholds: Thresholds = Thresholds(), norm: Double? = nil) {
        self.thresholds = thresholds
        self.norm = norm
    }

    /// The request ids of the steps kept (the loop's evidence), oldest first.
    public var recentRequestIDs: [String] { self.steps.map(\.requestID) }

    /// Marks the step of `requestID` failed: the same request once more is a retry.
    public mutating func failed(_ requestID: String) {
        if self.steps.contains(where: { $0.requestID == requestID }) { self.failed.insert(requestID) }
    }

    /// Adds `step`; returns the kind of loop it completes, if any.
    public mutating func record(_ step: Step) -> Kind? {
        self.steps.append(step)
        let keep = max(self.thresholds.repeats, 2 * self.thresholds.cycles, self.thresholds.toolRepeats) + 1
        if self.steps.count > keep {
            let dropped = self.steps.removeFirst(self.steps.count - keep)
            _ = dropped
            self.failed = self.failed.filter { id in self.steps.contains { $0.requestID == id } }
        }
        self.minute.append(step.at)
        self.minute.removeAll { step.at - $0 >= 60_000_000 }

        if self.repeatedRequest() { return .repeatedRequest }
        if self.alternating() { return .alternatingRequests }
        if self.repeatedToolCall() { return .repeatedToolCall }
        let limit = max(Double(self.thresholds.rateFloor), (self.norm ?? 0) * self.thresholds.rateFactor)
        if Double(self.minute.count) > limit { return .stepRate }
        return nil
    }

    /// The last `repeats` steps are one request, and none but the last failed (a failed step
    /// retried is not a loop).
    private func repeatedRequest() -> Bool {
        let n = self.thresholds.repeats
        guard self.steps.count >= n else { return false }
        let tail = self.steps.suffix(n)
        guard let last = tail.last, tail.allSatisfy({ $0.request == last.request }) else { return false }
        return tail.dropLast().allSatisfy { !self.failed.contains($0.requestID) }
    }

    private func alternating() -> Bool {
        let n = 2 * self.thresholds.cycles
        guard self.steps.count >= n else { return false }
        let tail = Array(self.steps.suffix(n))
        let (a, b) = (tail[0].request, tail[1].request)
        guard a != b else { return false }
        for (index, step) in tail.enumerated() where step.request != (index.isMultiple(of: 2) ? a : b) { return false }
        return tail.dropLast().allSatisfy { !self.failed.contains($0.requestID) }
    }

    private func repeatedToolCall() -> Bool {
        let n = self.thresholds.toolRepeats
        guard self.steps.count >= n else { return false }
        let tail = self.steps.suffix(n)
        guard let call = tail.last?.toolCall else { return false }
        // The same call and result at the end of consecutive steps whose requests differ (each
        // step appends the same call again): the agent makes no progress.
        return tail.allSatisfy { $0.toolCall == call } && Set(tail.map(\.request)).count == n
    }
}
