import Synchronization

/// The port a simulator's server bound, for callers that ask before the server is up.
///
/// Waiters suspend until ``bind(port:)`` or ``stop(_:)``; a cancelled waiter leaves at once with
/// `CancellationError`.
final class PortBinding: Sendable {
    /// Why no port can be returned.
    struct NotListeningError: Error, Sendable, CustomStringConvertible {
        let description: String
    }

    private enum State {
        case waiting(next: Int, waiters: [Int: CheckedContinuation<Int, any Error>])
        case bound(Int)
        case stopped(NotListeningError)
    }

    private let state = Mutex<State>(.waiting(next: 0, waiters: [:]))

    /// Records the bound port and wakes every waiter.
    func bind(port: Int) {
        let waiters = self.state.withLock { state -> [CheckedContinuation<Int, any Error>] in
            guard case .waiting(_, let waiters) = state else { return [] }
            state = .bound(port)
            return Array(waiters.values)
        }
        for waiter in waiters { waiter.resume(returning: port) }
    }

    /// Records that the server stopped (or never started) and fails every waiter.
    func stop(_ reason: String) {
        let error = NotListeningError(description: reason)
        let waiters = self.state.withLock { state -> [CheckedContinuation<Int, any Error>] in
            let waiters: [CheckedContinuation<Int, any Error>]
            if case .waiting(_, let pending) = state { waiters = Array(pending.values) } else { waiters = [] }
            state = .stopped(error)
            return waiters
        }
        for waiter in waiters { waiter.resume(throwing: error) }
    }

    /// The bound port, once there is one.
    func port() async throws -> Int {
        let id = self.state.withLock { state -> Int in
            guard case .waiting(let next, let waiters) = state else { return -1 }
            state = .waiting(next: next + 1, waiters: waiters)
            return next
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Int, any Error>) in
                let outcome = self.state.withLock { state -> Result<Int, any Error>? in
                    switch state {
                    case .bound(let port):
                        return .success(port)
                    case .stopped(let error):
                        return .failure(error)
                    case .waiting(let next, var waiters):
                        if Task.isCancelled { return .failure(CancellationError()) }
                        waiters[id] = continuation
                        state = .waiting(next: next, waiters: waiters)
                        return nil
                    }
                }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            let waiter = self.state.withLock { state -> CheckedContinuation<Int, any Error>? in
                guard case .waiting(let next, var waiters) = state, let waiter = waiters.removeValue(forKey: id) else {
                    return nil
                }
                state = .waiting(next: next, waiters: waiters)
                return waiter
            }
            waiter?.resume(throwing: CancellationError())
        }
    }
}
