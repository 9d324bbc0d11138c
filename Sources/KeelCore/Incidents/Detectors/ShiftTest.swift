#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The two-sample tests that decide whether a model's recent traffic differs
/// from its healthy baseline by more than chance: "are refusals really up, or
/// is this just a noisy few minutes?"
///
/// All tests are one-sided (only degradation matters) and return a score and
/// a p-value; callers combine them with a minimum effect size so that huge
/// baselines do not flag trivial changes.
enum ShiftTest {
    /// Outcome of one test.
    struct Result: Sendable, Equatable {
        /// Test statistic (z-score, or KS distance for distributions).
        var score: Double
        /// One-sided p-value.
        var pValue: Double
    }

    /// Two-proportion z-test (pooled variance, continuity-corrected) for the
    /// window share being higher than the baseline share.
    static func shareIncrease(
        baselineCount: Double,
        baselineTotal: Double,
        windowCount: Double,
        windowTotal: Double
    ) -> Result {
        guard baselineTotal > 0, windowTotal > 0 else { return Result(score: 0, pValue: 1) }
        let pooled = (baselineCount + windowCount) / (baselineTotal + windowTotal)
        let variance = pooled * (1 - pooled) * (1 / baselineTotal + 1 / windowTotal)
        guard variance > 0 else { return Result(score: 0, pValue: 1) }
        let corrected = max(0, windowCount - 0.5) / windowTotal
        let z = (corrected - baselineCount / baselineTotal) / variance.squareRoot()
        return Result(score: z, pValue: Self.normalUpperTail(z))
    }

    /// Binned two-sample Kolmogorov–Smirnov test; `score` is the distance D
    /// (0…1), the p-value uses the asymptotic distribution with Stephens'
    /// small-sample correction. Binning makes it conservative.
    static func distributionShift(baseline: LogHistogram, window: LogHistogram) -> Result {
        let n = baseline.total
        let m = window.total
        guard n > 0, m > 0 else { return Result(score: 0, pValue: 1) }
        let distance = baseline.maximumDistance(to: window)
        let effective = (n * m / (n + m)).squareRoot()
        let lambda = (effective + 0.12 + 0.11 / effective) * distance
        return Result(score: distance, pValue: Self.kolmogorovUpperTail(lambda))
    }

    /// Sign test for the window having moved above (`upward`) or below the
    /// baseline median: the share of window mass beyond the baseline median
    /// against 1/2.
    static func medianShift(baseline: LogHistogram, window: LogHistogram, upward: Bool) -> Result {
        guard let median = baseline.quantile(0.5), window.total > 0 else { return Result(score: 0, pValue: 1) }
        let above = window.fractionAbove(median)
        let share = upward ? above : 1 - above
        let z = (share - 0.5) * 2 * window.total.squareRoot()
        return Result(score: z, pValue: Self.normalUpperTail(z))
    }

    /// Probability that a standard normal variable exceeds `z` (one-sided).
    static func normalUpperTail(_ z: Double) -> Double {
        0.5 * erfc(z / 2.0.squareRoot())
    }

    /// The asymptotic Kolmogorov distribution's tail Q(λ) = 2 Σ (−1)^(k−1) e^(−2k²λ²): the
    /// p-value of a Kolmogorov–Smirnov statistic scaled to λ.
    static func kolmogorovUpperTail(_ lambda: Double) -> Double {
        if lambda < 0.2 { return 1 }
        var sum = 0.0
        var sign = 1.0
        let base = -2 * lambda * lambda
        for k in 1...100 {
            let term = sign * exp(base * Double(k * k))
            sum += term
            if abs(term) < 1e-12 * abs(sum) || abs(term) < 1e-300 { break }
            sign = -sign
        }
        return min(1, max(0, 2 * sum))
    }
}
