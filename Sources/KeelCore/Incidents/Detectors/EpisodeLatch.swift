/// "One alert per incident": remembers that a detector already fired for the
/// current episode and re-arms only after the signal has been back to normal
/// for a sustained cool-down.
///
/// Without it, a cost spike that lasts an hour would page the on-call engineer
/// sixty times. The latch is a few bytes and is used by both the cost and the
/// model-degradation detectors; the unit of `coolDown` is whatever the caller
/// steps it with (minutes for cost, samples for model traffic).
struct EpisodeLatch: Sendable, Equatable {
    /// Whether an episode is open (a detection was reported and the signal
    /// has not yet been normal for the whole cool-down).
    private(set) var isOpen = false
    /// Consecutive normal steps seen while the episode is open.
    private(set) var normalStreak = 0

    /// Advances the latch by one step.
    /// - Parameters:
    ///   - firing: the detection condition holds at this step.
    ///   - normal: the signal is back in its normal range at this step
    ///     (a stricter condition than "not firing", giving hysteresis).
    ///   - coolDown: normal steps required before the latch re-arms.
    ///   - steps: how many steps this call represents (e.g. 60 minutes for
    ///     an hourly check); defaults to one.
    /// - Returns: true when a new episode starts and should be reported.
    mutating func advance(firing: Bool, normal: Bool, coolDown: Int, steps: Int = 1) -> Bool {
        if isOpen {
            if normal {
                normalStreak += steps
                if normalStreak >= coolDown {
                    isOpen = false
                    normalStreak = 0
                }
            } else {
                normalStreak = 0
            }
            return false
        }
        if firing {
            isOpen = true
            normalStreak = 0
            return true
        }
        return false
    }
}
