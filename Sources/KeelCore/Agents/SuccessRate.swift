/// Success rates of agent tasks with their uncertainty, and whether a rate dropped against a
/// baseline: pure arithmetic for the agents' statistics and their alert.
public enum SuccessRate {
    /// The Wilson score interval of `successes` out of `trials` at `z` (1.96: 95 %): bounds in
    /// [0, 1] that stay meaningful for small samples and rates near 0 or 1, unlike the normal
    /// approximation. `nil` without trials.
    public static func wilson(
        successes: Int,
        trials: Int,
        z: Double = 1.959_963_984_540_054
    ) -> (lower: Double, upper: Double)? {
        guard trials > 0 else { return nil }
        let n = Double(trials)
        let p = Double(min(max(successes, 0), trials)) / n
        let z2 = z * z
        let denominator = 1 + z2 / n
        let centre = (p + z2 / (2 * n)) / denominator
        let margin = z * (p * (1 - p) / n + z2 / (4 * n * n)).squareRoot() / denominator
        return (max(0, centre - margin), min(1, centre + margin))
    }

    /// The one-sided two-proportion z statistic of a drop from `baseline` to `recent` (each
    /// successes out of trials): positive when the recent rate is lower. `nil` when either has no
    /// trials or the pooled rate is 0 or 1 (no variance).
    public static func dropZ(recent: (successes: Int, trials: Int), baseline: (successes: Int, trials: Int)) -> Double?
    {
        guard recent.trials > 0, baseline.trials > 0 else { return nil }
        let p1 = Double(recent.successes) / Double(recent.trials)
        let p0 = Double(baseline.successes) / Double(baseline.trials)
        let pooled = Double(recent.successes + baseline.successes) / Double(recent.trials + baseline.trials)
        let variance = pooled * (1 - pooled) * (1 / Double(recent.trials) + 1 / Double(baseline.trials))
        guard variance > 0 else { return nil }
        return (p0 - p1) / variance.squareRoot()
    }

    /// Whether the recent rate is significantly lower than the baseline at 95 % (one-sided:
    /// z above 1.645).
    public static func droppedSignificantly(
        recent: (successes: Int, trials: Int),
        baseline: (successes: Int, trials: Int)
    ) -> Bool {
        (Self.dropZ(recent: recent, baseline: baseline) ?? 0) > 1.644_853_626_951_472
    }
}
