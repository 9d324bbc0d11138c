import Synchronization

/// A sleep another task can end early: background loops (the recorder's flush interval, the
/// checkpointer's tick) wait out their interval in one sleep and one wake-up, rather than polling,
/// and are woken at once when there is work (an entry someone waits for, enough entries,
/// shutdown).
///
/// A ``wake()`` while nobody sleeps is kept, and ends the next sleep at once.
final class WakeableSleep: Sendable {
    private struct State {
        var sleeper: CheckedContinuation<Void, Never>?
        var woken = false
    }

    private let state = Mutex(State())

    init() {}

    /// Returns at `deadline`, or as soon as ``wake()`` is called.
    func sleep(until deadline: ContinuousClock.Instant) async {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await withCheckedContinuation { continuation in
                    let now = self.state.withLock { state -> Bool in
                        if state.woken { return true }
                        state.sleeper = continuation
                        return false
                    }
                    if now { continuation.resume() }
                }
                return true
            }
            group.addTask {
                try? await Task.sleep(until: deadline, clock: .continuous)
                return false
            }
            // Whichever ends first ends the sleep: a wake-up cancels the timer; the timer releases
            // the sleeper, or marks it woken when it has not started waiting yet.
            let woken = await group.next() ?? true
            group.cancelAll()
            if !woken { self.wake() }
        }
        self.state.withLock { $0.woken = false }
    }

    /// Ends the current sleep, or the next one.
    func wake() {
        let sleeper = self.state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.woken = true
            defer { state.sleeper = nil }
            return state.sleeper
        }
        sleeper?.resume()
    }
}
