import Foundation
import KeelServer

/// Waits until `condition` holds, checking it every `every`, for at most `within`; returns whether
/// it held. Work done off the request path (records, kept bodies, alerts) lands late when the
/// whole suite loads the machine, so the default wait is long; a condition that holds returns at
/// once.
@discardableResult
public func eventually(
    within: Duration = .seconds(30),
    every: Duration = .milliseconds(20),
    _ condition: () async throws -> Bool
) async throws -> Bool {
    let deadline = ContinuousClock.now + within
    while true {
        if try await condition() { return true }
        if ContinuousClock.now >= deadline { return false }
        try await Task.sleep(for: every)
    }
}

extension TestGateway {
    /// Waits until the recorder has written at least `count` records (they are written off the
    /// request path); returns whether it did within `within`.
    @discardableResult
    public func waitForRecords(_ count: Int, within: Duration = .seconds(30)) async throws -> Bool {
        try await eventually(within: within) { self.app.recordsWritten >= count }
    }
}
