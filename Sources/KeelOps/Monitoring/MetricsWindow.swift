import KeelCore
/// A rolling window a summary covers, named as `GET /admin/v1/metrics/summary?window=` takes it.
///
/// A window is made of whole slots: at time `t` the 5m window holds the 10-second slot that
/// contains `t` and the 29 before it, so a record leaves the window exactly when its slot does
/// (a record at the start of a slot leaves exactly one window length later).
public enum MetricsWindow: String, Sendable, Hashable, Codable, CaseIterable {
    case oneMinute = "1m"
    case fiveMinutes = "5m"
    case oneHour = "1h"

    /// The window's length.
    public var duration: Duration {
        switch self {
        case .oneMinute: .seconds(60)
        case .fiveMinutes: .seconds(300)
        case .oneHour: .seconds(3600)
        }
    }

    var lengthMicros: Int64 { self.duration.microseconds }
}
