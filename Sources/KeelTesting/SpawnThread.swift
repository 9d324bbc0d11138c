import Dispatch
import Foundation
import Synchronization

/// The one thread that starts every ``ChildProcess``; it lives as long as the process.
///
/// Linux sends a child its parent-death signal when the *thread* that created it ends, not when the
/// process does. Swift concurrency's and Dispatch's worker threads end after a few idle seconds,
/// which would kill a gateway in the middle of its test. This thread never ends, so the signal
/// comes only when the whole test process does. Starting children from one thread also puts every
/// spawn in the process in one line, so no two race over the same descriptors.
final class SpawnThread: Sendable {
    static let shared = SpawnThread()

    private let jobs = Mutex<[@Sendable () -> Void]>([])
    private let jobCount = DispatchSemaphore(value: 0)

    private init() {
        let thread = Thread { [self] in
            while true {
                self.jobCount.wait()
                let job = self.jobs.withLock { $0.removeFirst() }
                job()
            }
        }
        thread.name = "keel-spawn"
        thread.start()
    }

    /// Runs `body` on the spawn thread and returns its result. It blocks the caller, as
    /// `posix_spawn` would, until the child has called `execve`.
    func perform<Result: Sendable>(_ body: @escaping @Sendable () -> Result) -> Result {
        let slot = ResultSlot<Result>()
        self.jobs.withLock {
            $0.append {
                slot.value.withLock { $0 = body() }
                slot.filled.signal()
            }
        }
        self.jobCount.signal()
        slot.filled.wait()
        return slot.value.withLock { $0.take()! }
    }
}

private final class ResultSlot<Value: Sendable>: Sendable {
    let value = Mutex<Value?>(nil)
    let filled = DispatchSemaphore(value: 0)
}
