/// The rolling windows of one series: three rings of time slots.
///
/// | ring | slot | slots | retains | holds | serves |
/// |---|---|---|---|---|---|
/// | fine | 10 s | 60 | 10 min | counters + histograms | windows up to 5 min (1m, 5m) |
/// | minutes | 1 min | 360 | 6 h | counters | counter windows over 5 min (30m, 1h, 6h) |
/// | five-minute | 5 min | 24 | 2 h | histograms | histogram windows over 5 min (1h) |
///
/// Each ring retains twice its longest histogram window, so a rule can compare a window with
/// the one before it (rate of change). A record goes into one slot of each ring.
struct SeriesWindows: Sendable {
    struct FineSlot: Sendable {
        var counters: MonitoringCounters
        var histograms: LatencyHistograms
    }

    static let fineGranularity: Int64 = 10_000_000
    static let fineCapacity = 60
    static let minuteGranularity: Int64 = 60_000_000
    static let minuteCapacity = 360
    static let fiveMinuteGranularity: Int64 = 300_000_000
    static let fiveMinuteCapacity = 24

    /// The longest window counters serve (6 h).
    static let maxCounterWindow = minuteGranularity * Int64(minuteCapacity)
    /// The longest window histograms serve (2 h; 1 h when compared with the window before).
    static let maxHistogramWindow = fiveMinuteGranularity * Int64(fiveMinuteCapacity)

    let objectives: Int
    var fine = MonitoringRing<FineSlot>(granularity: fineGranularity, capacity: fineCapacity)
    var minutes = MonitoringRing<MonitoringCounters>(granularity: minuteGranularity, capacity: minuteCapacity)
    var fiveMinutes = MonitoringRing<LatencyHistograms>(granularity: fiveMinuteGranularity, capacity: fiveMinuteCapacity)

    init(objectives: Int) {
        self.objectives = objectives
    }

    mutating func record(_ sample: MonitoringSample) {
        let objectives = self.objectives
        self.fine.update(at: sample.timeMicros, make: { FineSlot(counters: .init(objectives: objectives), histograms: .init()) }) {
            $0.counters.record(sample)
            $0.histograms.record(sample)
        }
        self.minutes.update(at: sample.timeMicros, make: { MonitoringCounters(objectives: objectives) }) {
            $0.record(sample)
        }
        self.fiveMinutes.update(at: sample.timeMicros, make: { LatencyHistograms() }) {
            $0.record(sample)
        }
    }

    /// Adds the counters of the window of `length` µs ending with the slot that holds `end`
    /// (shifted back `shift` whole windows) to `counters`.
    func addCounters(to counters: inout MonitoringCounters, length: Int64, end: Int64, shift: Int) {
        let geometry = Self.counterGeometry(length: length)
        if geometry.granularity == Self.fineGranularity {
            let last = self.fine.slotIndex(end) - Int64(shift * geometry.count)
            self.fine.forEach(count: geometry.count, endingAt: last) { counters.add($0.counters) }
        } else {
            let last = self.minutes.slotIndex(end) - Int64(shift * geometry.count)
            self.minutes.forEach(count: geometry.count, endingAt: last) { counters.add($0) }
        }
    }

    /// Like ``addCounters(to:length:end:shift:)`` for histograms.
    func addHistograms(to histograms: inout LatencyHistograms, length: Int64, end: Int64, shift: Int) {
        let geometry = Self.histogramGeometry(length: length)
        if geometry.granularity == Self.fineGranularity {
            let last = self.fine.slotIndex(end) - Int64(shift * geometry.count)
            self.fine.forEach(count: geometry.count, endingAt: last) { histograms.add($0.histograms) }
        } else {
            let last = self.fiveMinutes.slotIndex(end) - Int64(shift * geometry.count)
            self.fiveMinutes.forEach(count: geometry.count, endingAt: last) { histograms.add($0) }
        }
    }

    /// Frees slots that no window can read any more at `now`; returns whether nothing is left.
    mutating func dropExpired(now: Int64) -> Bool {
        self.fine.dropSlots(before: self.fine.slotIndex(now) - Int64(Self.fineCapacity) + 1)
        self.minutes.dropSlots(before: self.minutes.slotIndex(now) - Int64(Self.minuteCapacity) + 1)
        self.fiveMinutes.dropSlots(before: self.fiveMinutes.slotIndex(now) - Int64(Self.fiveMinuteCapacity) + 1)
        return self.fine.isEmpty && self.minutes.isEmpty && self.fiveMinutes.isEmpty
    }

    struct Geometry: Equatable {
        var granularity: Int64
        var count: Int
    }

    /// The ring and slot count a counter window of `length` µs reads: windows up to 5 minutes
    /// from 10-second slots, longer ones from 1-minute slots, rounded up to whole slots.
    static func counterGeometry(length: Int64) -> Geometry {
        if length <= fineGranularity * Int64(fineCapacity / 2) {
            return Geometry(granularity: fineGranularity, count: Int(max(1, (length + fineGranularity - 1) / fineGranularity)))
        }
        return Geometry(granularity: minuteGranularity, count: Int((length + minuteGranularity - 1) / minuteGranularity))
    }

    /// The ring and slot count a histogram window of `length` µs reads: windows up to 5 minutes
    /// from 10-second slots, longer ones from 5-minute slots.
    static func histogramGeometry(length: Int64) -> Geometry {
        if length <= fineGranularity * Int64(fineCapacity / 2) {
            return Geometry(granularity: fineGranularity, count: Int(max(1, (length + fineGranularity - 1) / fineGranularity)))
        }
        return Geometry(granularity: fiveMinuteGranularity, count: Int((length + fiveMinuteGranularity - 1) / fiveMinuteGranularity))
    }
}
