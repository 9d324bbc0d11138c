/// Watches every completed request of one model and reports when the model
/// degrades compared with its own healthy behaviour, learned from live
/// traffic: answers getting shorter, more truncation/refusals/filtering,
/// more errors of some class, slower first tokens or generation, or a
/// version string the provider never reported before (a silent upgrade).
///
/// The first `baselineSamples` requests form the baseline. From then on
/// every request is added to a sliding window of the last `windowSamples`
/// requests, and the window is compared with the baseline:
/// - output length: binned two-sample Kolmogorov–Smirnov test over
///   log-spaced bins (quarter-octave);
/// - finish reasons `length`, `contentFilter`, `refusal` and every error
///   class: one-sided two-proportion z-tests plus a minimum absolute rise;
/// - time to first token / tokens per second: median ratio beyond a factor,
///   confirmed by a sign test against the baseline median;
/// - reported version: any version not seen before, reported at its first
///   request, once per version.
/// Each test fires once per episode and re-arms after `rearmSamples`
/// consecutive normal requests. Every `windowSamples` requests, if no test
/// was firing or even elevated, that block is folded into the baseline with
/// exponential forgetting, so the baseline follows slow healthy drift but
/// never learns a degradation.
///
/// Deterministic, no clock reads. Memory per model is fixed: three traffic
/// profiles (~1.9 KB each), a 5-byte record per window request (1 KB for
/// 200), a latch per test and two bounded label registries: ≈ 12 KB with
/// the defaults (`stateBytes(for:)` gives an upper bound).
public struct ModelDegradationDetector: Sendable {
    /// The effective (range-clamped) configuration.
    public let configuration: ModelDegradationConfiguration
    /// Requests observed so far.
    public private(set) var samplesObserved = 0

    private var baseline: TrafficProfile
    private var window: TrafficProfile
    private var block: TrafficProfile
    private var blockSize = 0
    private var blockClean = true
    private var records: [TrafficRecord] = []
    private var nextRecord = 0
    private var errorClasses: LabelRegistry
    private var versions: LabelRegistry
    private var latches: [EpisodeLatch]

    private static let lengthSlot = 0
    private static let firstTokenSlot = 1
    private static let throughputSlot = 2
    private static let finishSlotBase = 3
    private static var errorSlotBase: Int { finishSlotBase + FinishReason.watched.count }

    /// Creates a detector for one model with no history.
    public init(configuration: ModelDegradationConfiguration = ModelDegradationConfiguration()) {
        let effective = configuration.clamped
        self.configuration = effective
        let slots = effective.errorClassCapacity + 1
        baseline = TrafficProfile(errorSlots: slots)
        window = baseline
        block = baseline
        errorClasses = LabelRegistry(capacity: effective.errorClassCapacity)
        versions = LabelRegistry(capacity: effective.versionCapacity)
        latches = Array(repeating: EpisodeLatch(), count: Self.errorSlotBase + slots)
        records.reserveCapacity(effective.windowSamples)
    }

    /// Whether the initial baseline has been learned and findings can occur.
    public var isBaselineLearned: Bool { samplesObserved >= configuration.baselineSamples }

    /// Upper bound of the bytes of state one model holds with
    /// `configuration` (fixed for its lifetime).
    public static func stateBytes(for configuration: ModelDegradationConfiguration) -> Int {
        let effective = configuration.clamped
        let slots = effective.errorClassCapacity + 1
        let profile = 8 * (222 + 2 + FinishReason.allCases.count + slots + 2)
        let labelBytes = LabelRegistry.maximumLabelLength + 16 + 8
        return 3 * profile + MemoryLayout<TrafficRecord>.stride * effective.windowSamples
            + MemoryLayout<EpisodeLatch>.stride * (errorSlotBase + slots)
            + labelBytes * (effective.errorClassCapacity + effective.versionCapacity)
            + MemoryLayout<ModelDegradationDetector>.size
    }

    /// Records one completed request and returns the degradations it reveals
    /// (usually none).
    public mutating func observe(_ sample: ModelSample) -> [ModelDegradationFinding] {
        samplesObserved += 1
        var findings: [ModelDegradationFinding] = []
        if let version = sample.reportedModel, let finding = checkVersion(version, sample: sample) {
            findings.append(finding)
        }
        var errorSlot: Int?
        if let errorClass = sample.errorClass {
            errorSlot = errorClasses.register(errorClass) ?? configuration.errorClassCapacity
        }
        let record = baseline.record(for: sample, errorSlot: errorSlot)
        slide(record)
        if samplesObserved <= configuration.baselineSamples {
            baseline.add(record)
            return findings
        }
        block.add(record)
        blockSize += 1
        let interval = configuration.evaluationInterval
        if samplesObserved % interval == 0 { findings += evaluate(sample, steps: interval) }
        if blockSize >= configuration.windowSamples { refreshBaseline() }
        return findings
    }

    // MARK: - Window and baseline maintenance

    private mutating func slide(_ record: TrafficRecord) {
        if records.count < configuration.windowSamples {
            records.append(record)
        } else {
            window.add(records[nextRecord], weight: -1)
            records[nextRecord] = record
            nextRecord = (nextRecord + 1) % records.count
        }
        window.add(record)
    }

    private mutating func refreshBaseline() {
        if blockClean {
            let forgetting = max(0, 1 - Double(blockSize) / configuration.maximumBaselineWeight)
            baseline.scale(by: forgetting)
            baseline.merge(block)
        }
        block = TrafficProfile(errorSlots: configuration.errorClassCapacity + 1)
        blockSize = 0
        blockClean = true
    }

    private mutating func checkVersion(_ version: String, sample: ModelSample) -> ModelDegradationFinding? {
        if let slot = versions.slot(of: version) {
            versions.count(slot: slot)
            return nil
        }
        let previous = versions.mostCommon
        let slot = versions.registerEvictingOldest(version)
        versions.count(slot: slot)
        guard isBaselineLearned else { return nil }
        return ModelDegradationFinding(
            kind: .versionChange,
            subject: LabelRegistry.normalized(version),
            baselineValue: 0,
            observedValue: 1,
            score: 0,
            pValue: 1,
            baselineCount: Int(baseline.requests),
            windowCount: 1,
            timeMicros: sample.timeMicros,
            sampleNumber: samplesObserved,
            baselineLabel: previous
        )
    }

    // MARK: - Tests

    /// One test's verdict before episode handling.
    private struct Verdict {
        var kind: ModelDegradationFinding.Kind
        var subject: String
        var result: ShiftTest.Result
        var baselineValue: Double
        var observedValue: Double
        var baselineCount: Double
        var windowCount: Double
        var firing: Bool
        var elevated: Bool
    }

    private mutating func evaluate(_ sample: ModelSample, steps: Int) -> [ModelDegradationFinding] {
        var verdicts: [(slot: Int, verdict: Verdict?)] = [
            (Self.lengthSlot, lengthVerdict()),
            (Self.firstTokenSlot, latencyVerdict(upward: true)),
            (Self.throughputSlot, latencyVerdict(upward: false)),
        ]
        for (offset, reason) in FinishReason.watched.enumerated() {
            verdicts.append(
                (
                    Self.finishSlotBase + offset,
                    shareVerdict(
                        kind: .finishReasonShift,
                        subject: reason.rawValue,
                        baselineCount: baseline.finishReasons[reason.index],
                        baselineTotal: baseline.completions,
                        windowCount: window.finishReasons[reason.index],
                        windowTotal: window.completions
                    )
                )
            )
        }
        for slot in 0...configuration.errorClassCapacity
        where slot < errorClasses.labels.count || slot == configuration.errorClassCapacity {
            let name = slot < errorClasses.labels.count ? errorClasses.labels[slot] : "(other)"
            verdicts.append(
                (
                    Self.errorSlotBase + slot,
                    shareVerdict(
                        kind: .errorClassShift,
                        subject: name,
                        baselineCount: baseline.errorClasses[slot],
                        baselineTotal: baseline.requests,
                        windowCount: window.errorClasses[slot],
                        windowTotal: window.requests
                    )
                )
            )
        }
        var findings: [ModelDegradationFinding] = []
        for (slot, verdict) in verdicts {
            let firing = verdict?.firing ?? false
            let elevated = verdict?.elevated ?? false
            if elevated || latches[slot].isOpen { blockClean = false }
            guard
                latches[slot].advance(
                    firing: firing,
                    normal: !elevated,
                    coolDown: configuration.rearmSamples,
                    steps: steps
                ),
                let verdict
            else { continue }
            blockClean = false
            findings.append(
                ModelDegradationFinding(
                    kind: verdict.kind,
                    subject: verdict.subject,
                    baselineValue: verdict.baselineValue,
                    observedValue: verdict.observedValue,
                    score: verdict.result.score,
                    pValue: verdict.result.pValue,
                    baselineCount: Int(verdict.baselineCount.rounded()),
                    windowCount: Int(verdict.windowCount.rounded()),
                    timeMicros: sample.timeMicros,
                    sampleNumber: samplesObserved
                )
            )
        }
        return findings
    }

    private func lengthVerdict() -> Verdict? {
        let minimum = Double(configuration.minimumSamples)
        guard baseline.outputTokens.total >= minimum, window.outputTokens.total >= minimum,
            let before = baseline.outputTokens.quantile(0.5), let after = window.outputTokens.quantile(0.5)
        else { return nil }
        let result = ShiftTest.distributionShift(baseline: baseline.outputTokens, window: window.outputTokens)
        let distance = configuration.minimumDistributionDistance
        return Verdict(
            kind: .outputLengthShift,
            subject: "",
            result: result,
            baselineValue: before - 1,
            observedValue: after - 1,
            baselineCount: baseline.outputTokens.total,
            windowCount: window.outputTokens.total,
            firing: result.pValue <= configuration.significanceLevel && result.score >= distance,
            elevated: result.pValue <= 0.01 && result.score >= distance / 2
        )
    }

    private func latencyVerdict(upward: Bool) -> Verdict? {
        let reference = upward ? baseline.timeToFirstToken : baseline.tokensPerSecond
        let recent = upward ? window.timeToFirstToken : window.tokensPerSecond
        let minimum = Double(configuration.minimumLatencySamples)
        guard reference.total >= minimum, recent.total >= minimum,
            let before = reference.quantile(0.5), let after = recent.quantile(0.5), before > 0
        else { return nil }
        let result = ShiftTest.medianShift(baseline: reference, window: recent, upward: upward)
        let ratio = after / before
        let factor = upward ? configuration.timeToFirstTokenFactor : configuration.tokensPerSecondFactor
        let halfway = 1 + (factor - 1) / 2
        let beyond = upward ? ratio >= factor : ratio <= factor
        let partly = upward ? ratio >= halfway : ratio <= halfway
        return Verdict(
            kind: upward ? .timeToFirstTokenShift : .tokensPerSecondShift,
            subject: "",
            result: result,
            baselineValue: before,
            observedValue: after,
            baselineCount: reference.total,
            windowCount: recent.total,
            firing: beyond && result.pValue <= configuration.significanceLevel,
            elevated: partly && result.score >= 2
        )
    }

    private func shareVerdict(
        kind: ModelDegradationFinding.Kind,
        subject: String,
        baselineCount: Double,
        baselineTotal: Double,
        windowCount: Double,
        windowTotal: Double
    ) -> Verdict? {
        let minimum = Double(configuration.minimumSamples)
        guard baselineTotal >= minimum, windowTotal >= minimum else { return nil }
        let result = ShiftTest.shareIncrease(
            baselineCount: baselineCount,
            baselineTotal: baselineTotal,
            windowCount: windowCount,
            windowTotal: windowTotal
        )
        let before = baselineCount / baselineTotal
        let after = windowCount / windowTotal
        let rise = after - before
        return Verdict(
            kind: kind,
            subject: subject,
            result: result,
            baselineValue: before,
            observedValue: after,
            baselineCount: baselineTotal,
            windowCount: windowTotal,
            firing: result.pValue <= configuration.significanceLevel && rise >= configuration.minimumShareIncrease,
            elevated: result.score >= 2 && rise >= configuration.minimumShareIncrease / 2
        )
    }
}
