/// Order statistics that the detectors use to describe "normal" without being
/// dragged around by the bursts and outliers that live LLM traffic is full of.
///
/// Medians and median absolute deviations (MAD) ignore up to half of the data
/// being wild, which is what lets a cost baseline survive a one-off batch job
/// or a retry storm without learning it as the new normal.
enum RobustStatistics {
    /// Factor that turns a MAD into a standard-deviation-equivalent scale for
    /// normally distributed data (1 / Φ⁻¹(3/4)).
    static let madToStandardDeviation = 1.4826

    /// Median of `values`; 0 for an empty collection.
    static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        return medianOfSorted(values.sorted())
    }

    /// Median of values that are already sorted ascending; 0 when empty.
    static func medianOfSorted(_ sorted: [Double]) -> Double {
        let count = sorted.count
        guard count > 0 else { return 0 }
        let middle = count / 2
        if count % 2 == 1 { return sorted[middle] }
        return (sorted[middle - 1] + sorted[middle]) / 2
    }

    /// Scaled median absolute deviation of `values` around `center`: a robust
    /// stand-in for the standard deviation.
    static func scaledMAD(_ values: [Double], around center: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let deviations = values.map { abs($0 - center) }
        return madToStandardDeviation * median(deviations)
    }

    /// Mean of `values` after clamping each one to at most `ceiling`
    /// (a one-sided winsorized mean): bursts count, but only up to the ceiling.
    static func winsorizedMean(_ values: [Double], ceiling: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        var total = 0.0
        for value in values { total += min(value, ceiling) }
        return total / Double(values.count)
    }

    /// Mean of `values` without its `dropHighest` largest entries; used for the
    /// short spike window so that a single-minute burst cannot raise an alarm.
    static func upperTrimmedMean(_ values: [Double], dropHighest: Int) -> Double {
        let keep = values.count - dropHighest
        guard keep > 0 else { return 0 }
        let sorted = values.sorted()
        var total = 0.0
        for index in 0..<keep { total += sorted[index] }
        return total / Double(keep)
    }

    /// Floored integer division, so that negative minute indices map to the
    /// same hour/bucket arithmetic as positive ones.
    static func flooredDivision(_ value: Int64, _ divisor: Int64) -> Int64 {
        let quotient = value / divisor
        return (value % divisor != 0 && (value < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }

    /// Non-negative remainder matching `flooredDivision`.
    static func flooredModulo(_ value: Int64, _ divisor: Int64) -> Int64 {
        let remainder = value % divisor
        return remainder < 0 ? remainder + divisor : remainder
    }
}
