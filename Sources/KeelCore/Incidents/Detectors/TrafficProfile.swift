/// Aggregate picture of a model's traffic over some set of requests: the
/// baseline ("how this model behaves when healthy"), the recent window and
/// the block of requests waiting to refresh the baseline all use this shape.
///
/// Everything is a weighted count, so the baseline can forget old traffic
/// exponentially and the window can subtract requests that slide out.
/// Memory: 222 histogram bins + 6 finish reasons + (error slots) counters,
/// 8 bytes each: ≈ 1.9 KB with 16 error classes.
struct TrafficProfile: Sendable, Equatable {
    /// Output tokens + 1 (so 0 tokens is representable), 1 … 262 144.
    var outputTokens = LogHistogram(lowestExponent: 0, octaves: 18)
    /// Time to first token in microseconds, ~1 ms … ~17 min.
    var timeToFirstToken = LogHistogram(lowestExponent: 10, octaves: 20)
    /// Output tokens per second, 1/16 … 4096.
    var tokensPerSecond = LogHistogram(lowestExponent: -4, octaves: 16)
    /// Weighted count per `FinishReason.index` (successful requests only).
    var finishReasons: [Double]
    /// Weighted count per error slot (failed requests only).
    var errorClasses: [Double]
    /// Weighted count of all requests.
    var requests = 0.0
    /// Weighted count of successful requests.
    var completions = 0.0

    /// Creates an empty profile with `errorSlots` error-class counters.
    init(errorSlots: Int) {
        finishReasons = Array(repeating: 0, count: FinishReason.allCases.count)
        errorClasses = Array(repeating: 0, count: errorSlots)
    }

    /// Adds (weight > 0) or removes (weight < 0) one request.
    mutating func add(_ record: TrafficRecord, weight: Double = 1) {
        requests += weight
        if record.errorSlot == TrafficRecord.none {
            completions += weight
            if record.outputBin != TrafficRecord.none {
                outputTokens.add(bin: Int(record.outputBin), weight: weight)
            }
            if record.finishReason != TrafficRecord.none {
                finishReasons[Int(record.finishReason)] += weight
            }
        } else {
            errorClasses[Int(record.errorSlot)] += weight
        }
        if record.timeToFirstTokenBin != TrafficRecord.none {
            timeToFirstToken.add(bin: Int(record.timeToFirstTokenBin), weight: weight)
        }
        if record.tokensPerSecondBin != TrafficRecord.none {
            tokensPerSecond.add(bin: Int(record.tokensPerSecondBin), weight: weight)
        }
    }

    /// Multiplies every count by `factor` (exponential forgetting).
    mutating func scale(by factor: Double) {
        outputTokens.scale(by: factor)
        timeToFirstToken.scale(by: factor)
        tokensPerSecond.scale(by: factor)
        for index in finishReasons.indices { finishReasons[index] *= factor }
        for index in errorClasses.indices { errorClasses[index] *= factor }
        requests *= factor
        completions *= factor
    }

    /// Adds all counts of `other` (same layout).
    mutating func merge(_ other: TrafficProfile) {
        outputTokens.merge(other.outputTokens)
        timeToFirstToken.merge(other.timeToFirstToken)
        tokensPerSecond.merge(other.tokensPerSecond)
        for index in finishReasons.indices { finishReasons[index] += other.finishReasons[index] }
        for index in errorClasses.indices { errorClasses[index] += other.errorClasses[index] }
        requests += other.requests
        completions += other.completions
    }

    /// Encodes a sample into bin and slot indices using this profile's
    /// histogram layout; `errorSlot` is the registry slot of its error class.
    func record(for sample: ModelSample, errorSlot: Int?) -> TrafficRecord {
        var record = TrafficRecord(
            outputBin: TrafficRecord.none,
            finishReason: TrafficRecord.none,
            errorSlot: TrafficRecord.none,
            timeToFirstTokenBin: TrafficRecord.none,
            tokensPerSecondBin: TrafficRecord.none
        )
        if let errorSlot {
            record.errorSlot = UInt8(errorSlot)
        } else {
            record.outputBin = UInt8(outputTokens.bin(for: Double(max(0, sample.outputTokens)) + 1))
            record.finishReason = UInt8(sample.finishReason.index)
        }
        if let micros = sample.timeToFirstTokenMicros, micros >= 0 {
            record.timeToFirstTokenBin = UInt8(timeToFirstToken.bin(for: Double(micros)))
        }
        if let rate = sample.outputTokensPerSecond, rate.isFinite, rate >= 0 {
            record.tokensPerSecondBin = UInt8(tokensPerSecond.bin(for: rate))
        }
        return record
    }
}
