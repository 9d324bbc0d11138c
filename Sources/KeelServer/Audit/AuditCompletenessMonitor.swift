import KeelCore
import KeelOps
import KeelStorage
import Logging
import Synchronization

/// Shows that the audit log holds every entry: each checkpoint tick it reads the entries stored
/// since its last look and checks that
/// - every instance's `seq` continues where it stopped, with no gap or repeat;
/// - this instance's entries in the store add up to what its recorder wrote;
/// - no record of this instance was set aside without its entry.
///
/// A failure raises the `audit_gap` alert (page) and sets `keel_audit_gap` to 1 in `/metrics`; it
/// stays firing until the process restarts, since a gap in a log does not close by itself.
final class AuditCompletenessMonitor: Sendable {
    private struct State {
        /// Entries from this index on are not read yet.
        var nextIndex: UInt64
        /// Each instance's last `seq` seen.
        var lastSeq: [String: UInt64] = [:]
        /// This instance's entries seen in the store.
        var ownEntries: UInt64 = 0
        var gap: String?
        var checks = 0
    }

    private let store: any AuditLogStore
    private let recorder: RequestRecorder
    private let alerts: AlertService?
    private let logger: Logger
    private let state: Mutex<State>

    /// Starts reading at `startIndex`: the tree's size before this process wrote its first entry.
    init(store: any AuditLogStore, recorder: RequestRecorder, startIndex: UInt64, alerts: AlertService?, logger: Logger) {
        self.store = store
        self.recorder = recorder
        self.alerts = alerts
        self.logger = logger
        self.state = Mutex(State(nextIndex: startIndex))
    }

    /// What was found wrong, once something was.
    var gap: String? { self.state.withLock { $0.gap } }

    func check() async {
        let counts = self.recorder.auditCounts
        let summaries: [AuditSequenceSummary]
        do {
            summaries = try await self.store.sequenceSummary(from: self.state.withLock { $0.nextIndex })
        } catch {
            self.logger.warning("The audit completeness check could not read the log", metadata: ["error.message": "\(error)"])
            return
        }
        let own = self.recorder.instanceID
        let found = self.state.withLock { state -> String? in
            state.checks += 1
            var problems: [String] = []
            for summary in summaries {
                let expectedFirst = state.lastSeq[summary.instanceID].map { $0 + 1 } ?? (summary.instanceID == own ? 1 : summary.firstSeq)
                if summary.firstSeq != expectedFirst {
                    problems.append("instance \(summary.instanceID): seq \(summary.firstSeq) follows \(expectedFirst - 1)")
                }
                if summary.count != summary.lastSeq - summary.firstSeq + 1 {
                    problems.append(
                        "instance \(summary.instanceID): \(summary.count) entries for seq \(summary.firstSeq)–\(summary.lastSeq)")
                }
                state.lastSeq[summary.instanceID] = summary.lastSeq
                state.nextIndex = max(state.nextIndex, summary.lastIndex + 1)
                if summary.instanceID == own { state.ownEntries += summary.count }
            }
            if state.ownEntries < UInt64(counts.entriesWritten) {
                problems.append("this instance wrote \(counts.entriesWritten) entries, the log holds \(state.ownEntries)")
            }
            if counts.recordsSetAside > 0 {
                problems.append("\(counts.recordsSetAside) request records were set aside without an entry")
            }
            guard state.gap == nil, let first = problems.first else { return nil }
            state.gap = first
            return first
        }
        guard let found else { return }
        self.logger.critical("The audit log is incomplete", metadata: ["keel.audit.gap": "\(found)"])
        await self.alerts?.deliver([
            AlertNotification(
                rule: "audit_gap", severity: .page, status: .firing, labels: ["instance": own], value: 1, threshold: 0,
                details: [:], summary: "The audit log is incomplete: \(found).", startsAtMicros: WallClock.unixMicros())
        ])
    }

    /// `/metrics` lines: the gap flag and this instance's counts.
    func prometheusText() -> String {
        let counts = self.recorder.auditCounts
        let gap = self.state.withLock { $0.gap != nil }
        return """
            # HELP keel_audit_gap 1 when the audit log misses an entry or a sequence number (see the audit_gap alert).
            # TYPE keel_audit_gap gauge
            keel_audit_gap \(gap ? 1 : 0)
            # HELP keel_audit_entries_written_total Audit log entries this instance wrote.
            # TYPE keel_audit_entries_written_total counter
            keel_audit_entries_written_total \(counts.entriesWritten)
            # HELP keel_audit_records_accepted_total Request records this instance accepted for the log.
            # TYPE keel_audit_records_accepted_total counter
            keel_audit_records_accepted_total \(counts.recordsAccepted)
            # HELP keel_audit_pending Records and entries accepted and not written yet.
            # TYPE keel_audit_pending gauge
            keel_audit_pending \(counts.buffered)

            """
    }
}
