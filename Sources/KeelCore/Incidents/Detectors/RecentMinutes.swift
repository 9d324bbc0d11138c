/// The last hour of a scope's per-minute spend, kept in a fixed ring.
///
/// It feeds the short spike window ("the last five minutes") and stands in
/// as the baseline during a scope's first day, before any seasonal history
/// exists. Fixed capacity; 8 bytes per minute kept (480 B for an hour).
struct RecentMinutes: Sendable {
    private var storage: [Double]
    private var next = 0
    /// Number of minutes currently held (≤ capacity).
    private(set) var count = 0

    /// Creates an empty ring holding at most `capacity` minutes.
    init(capacity: Int) {
        storage = Array(repeating: 0, count: max(1, capacity))
    }

    /// Maximum number of minutes held.
    var capacity: Int { storage.count }

    /// Appends the spend of the newest minute, evicting the oldest when full.
    mutating func append(_ cost: Double) {
        storage[next] = cost
        next = (next + 1) % storage.count
        count = min(count + 1, storage.count)
    }

    /// Forgets all minutes (used after a long silence).
    mutating func removeAll() {
        next = 0
        count = 0
    }

    /// The newest `length` minutes, oldest first (fewer if not available).
    func newest(_ length: Int) -> [Double] {
        let length = min(length, count)
        var result: [Double] = []
        result.reserveCapacity(length)
        for offset in stride(from: length, to: 0, by: -1) {
            let index = (next - offset + storage.count) % storage.count
            result.append(storage[index])
        }
        return result
    }

    /// All held minutes except the newest `excluding`, oldest first.
    func older(excluding newestCount: Int) -> [Double] {
        let length = count - newestCount
        guard length > 0 else { return [] }
        var result: [Double] = []
        result.reserveCapacity(length)
        for offset in stride(from: count, to: newestCount, by: -1) {
            let index = (next - offset + storage.count) % storage.count
            result.append(storage[index])
        }
        return result
    }
}
