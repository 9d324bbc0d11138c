import Synchronization

/// A lock held across suspension points, handed to waiters in the order they asked.
///
/// `SQLiteDatabase` holds it for each write and for the whole of a transaction, so the one
/// writer connection never runs a statement of another writer inside an open transaction.
final class AsyncLock: Sendable {
    private struct State {
        var locked = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    /// Runs `body` holding the lock. Waiting is not cancelled: a cancelled task still gets the
    /// lock in its turn, and `body` sees the cancellation.
    func withLock<Result>(_ body: () async throws -> Result) async rethrows -> Result {
        await self.lock()
        defer { self.unlock() }
        return try await body()
    }

    private func lock() async {
        await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
            let acquired = self.state.withLock { state -> Bool in
                guard state.locked else {
                    state.locked = true
                    return true
                }
                state.waiters.append(waiter)
                return false
            }
            if acquired { waiter.resume() }
        }
    }

    private func unlock() {
        let next = self.state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.waiters.isEmpty else {
                state.locked = false
                return nil
            }
            return state.waiters.removeFirst()
        }
        next?.resume()
    }
}
