import NIOCore

extension Channel {
    /// Sleeps until `deadline`, giving up early when the client disconnects.
    ///
    /// Hummingbird does not cancel a handler, nor a response body writer, when its client goes
    /// away; it only fails the next write. So a long scripted wait sleeps in slices of at most
    /// 50 ms and checks the connection between them, so that a stall of minutes does not outlive
    /// its client. Task cancellation (server shutdown) ends the sleep at once.
    ///
    /// - Throws: `CancellationError` when the task is cancelled, ``SimulatedFaultError/clientDisconnected``
    ///   when the connection has closed.
    func pause(until deadline: ContinuousClock.Instant) async throws {
        while true {
            guard self.isActive else { throw SimulatedFaultError.clientDisconnected }
            let now = ContinuousClock.now
            guard now < deadline else { return }
            try await Task.sleep(until: min(deadline, now.advanced(by: .milliseconds(50))), clock: .continuous)
        }
    }

    /// Sleeps for `milliseconds` (nothing for 0), giving up early when the client disconnects.
    func pause(milliseconds: Int) async throws {
        guard milliseconds > 0 else { return }
        try await self.pause(until: ContinuousClock.now.advanced(by: .milliseconds(milliseconds)))
    }
}
