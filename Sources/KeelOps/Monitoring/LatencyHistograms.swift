import Histogram

/// The HDR histograms of one window slot, or of a merged window.
///
/// Two significant digits (values within 1 % of the exact one) and auto-resizing counts, so a
/// histogram is as large as the largest value it holds needs: about 2,400 `UInt32` counts
/// (9.6 kB) for values up to an hour in microseconds, 1 kB when empty.
struct LatencyHistograms: Sendable {
    typealias Counts = Histogram<UInt32>

    static let precision: SignificantDigits = .two

    /// Microseconds.
    var timeToFirstToken = Counts(numberOfSignificantValueDigits: Self.precision)
    var total = Counts(numberOfSignificantValueDigits: Self.precision)
    var upstream = Counts(numberOfSignificantValueDigits: Self.precision)
    var timePerOutputToken = Counts(numberOfSignificantValueDigits: Self.precision)
    /// Thousandths of a token per second.
    var outputTokensPerSecondMilli = Counts(numberOfSignificantValueDigits: Self.precision)

    mutating func record(_ sample: MonitoringSample) {
        if let value = sample.ttft { self.timeToFirstToken.record(UInt64(value)) }
        if let value = sample.total { self.total.record(UInt64(value)) }
        if let value = sample.upstream { self.upstream.record(UInt64(value)) }
        if let value = sample.timePerOutputToken { self.timePerOutputToken.record(UInt64(max(0, value))) }
        if let value = sample.outputTokensPerSecondMilli { self.outputTokensPerSecondMilli.record(UInt64(max(0, value))) }
    }

    mutating func add(_ other: LatencyHistograms) {
        self.timeToFirstToken.add(other.timeToFirstToken)
        self.total.add(other.total)
        self.upstream.add(other.upstream)
        self.timePerOutputToken.add(other.timePerOutputToken)
        self.outputTokensPerSecondMilli.add(other.outputTokensPerSecondMilli)
    }

    func histogram(_ measure: LatencyMeasure) -> Counts {
        switch measure {
        case .timeToFirstToken: self.timeToFirstToken
        case .total: self.total
        case .upstream: self.upstream
        case .timePerOutputToken: self.timePerOutputToken
        }
    }
}
