import Foundation

@testable import KeelCore

/// Simulated completed requests of one model: log-normal output lengths,
/// time to first token and throughput, a realistic finish-reason and
/// error-class mix, and a constant reported version, with knobs to inject
/// each kind of degradation.
struct ModelTrafficSimulator {
    var generator: SeededGenerator
    /// Median output tokens and log-space spread.
    var lengthMedian = 300.0
    var lengthSpread = 0.8
    /// Output tokens are capped here (truncation scenario), nil for no cap.
    var lengthCap: Int?
    /// Shares of successful requests per finish reason (rest is `stop`).
    var lengthShare = 0.02
    var contentFilterShare = 0.005
    var refusalShare = 0.01
    var toolCallsShare = 0.10
    /// Shares of all requests per error class.
    var errorShares: [(String, Double)] = [("timeout", 0.003), ("rate_limited", 0.005), ("upstream_5xx", 0.005)]
    /// Median time to first token (µs) and spread.
    var firstTokenMedianMicros = 400_000.0
    var firstTokenSpread = 0.5
    /// Median tokens per second and spread.
    var throughputMedian = 60.0
    var throughputSpread = 0.3
    /// Version string the provider reports.
    var version = "gpt-4o-2024-08-06"
    /// Simulated clock (µs) and spacing between requests.
    var timeMicros: Int64 = 1_704_067_200_000_000
    var spacingMicros: Int64 = 250_000

    init(seed: UInt64) {
        generator = SeededGenerator(seed: seed)
    }

    private mutating func logNormal(median: Double, spread: Double) -> Double {
        median * Foundation.exp(spread * generator.gaussian())
    }

    /// The next completed request.
    mutating func next() -> ModelSample {
        timeMicros += spacingMicros
        var errorClass: String?
        var roll = generator.uniform()
        for (name, share) in errorShares {
            if roll < share {
                errorClass = name
                break
            }
            roll -= share
        }
        if let errorClass {
            return ModelSample(
                outputTokens: 0,
                finishReason: .other,
                errorClass: errorClass,
                reportedModel: version,
                timeMicros: timeMicros
            )
        }
        var finish = FinishReason.stop
        var pick = generator.uniform()
        for (reason, share) in [
            (FinishReason.length, lengthShare), (.contentFilter, contentFilterShare),
            (.refusal, refusalShare), (.toolCalls, toolCallsShare),
        ] {
            if pick < share {
                finish = reason
                break
            }
            pick -= share
        }
        var tokens = Int(logNormal(median: lengthMedian, spread: lengthSpread).rounded())
        if finish == .refusal || finish == .contentFilter { tokens = min(tokens, 40) }
        if let cap = lengthCap {
            if finish == .length { tokens = cap }
            tokens = min(tokens, cap)
        }
        return ModelSample(
            outputTokens: tokens,
            finishReason: finish,
            errorClass: nil,
            timeToFirstTokenMicros: Int64(logNormal(median: firstTokenMedianMicros, spread: firstTokenSpread)),
            outputTokensPerSecond: logNormal(median: throughputMedian, spread: throughputSpread),
            reportedModel: version,
            timeMicros: timeMicros
        )
    }

    /// Feeds `count` requests and returns (request number within this call,
    /// finding) pairs.
    mutating func feed(_ detector: inout ModelDegradationDetector, count: Int) -> [(Int, ModelDegradationFinding)] {
        var findings: [(Int, ModelDegradationFinding)] = []
        for index in 1...count {
            for finding in detector.observe(next()) { findings.append((index, finding)) }
        }
        return findings
    }
}
