#if canImport(Glibc)
import Glibc
#endif

/// Scheduling priority for threads that do background work on a machine that serves requests.
public enum LowPriorityThread {
    /// Nice 19 for the calling thread (on Linux the nice value is per thread; `who` 0 is the
    /// caller), so the threads serving requests preempt it on a shared core. Raising one's own
    /// niceness needs no privilege; a failure leaves it as it was. Elsewhere it does nothing.
    public static func lowerCurrent() {
        #if os(Linux)
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 19)
        #endif
    }
}
