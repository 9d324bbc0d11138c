#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The time source of the monitoring engine, in microseconds since the Unix epoch (the unit of
/// `RequestRecord.startedAt`).
///
/// Injected so tests drive windows and alerts by hand; nothing in monitoring reads the system
/// time except ``SystemMonitoringClock``.
public protocol MonitoringClock: Sendable {
    /// The current instant, in microseconds since the Unix epoch.
    var nowMicros: Int64 { get }
}

/// The wall clock (`CLOCK_REALTIME`), for production.
public struct SystemMonitoringClock: MonitoringClock {
    public init() {}

    public var nowMicros: Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec) / 1_000
    }
}
