import KeelOps
import Synchronization

/// A clock tests move by hand; nothing sleeps.
final class ManualMonitoringClock: MonitoringClock {
    private let current: Mutex<Int64>

    init(_ start: Int64 = 0) {
        self.current = Mutex(start)
    }

    var nowMicros: Int64 { self.current.withLock { $0 } }

    func advance(byMicros micros: Int64) {
        self.current.withLock { $0 += micros }
    }

    func advance(bySeconds seconds: Int64) {
        self.advance(byMicros: seconds * 1_000_000)
    }

    func set(_ micros: Int64) {
        self.current.withLock { $0 = micros }
    }
}
