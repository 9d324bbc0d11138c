import KeelCore
import KeelStorage
import Logging
import ServiceLifecycle

/// Deletes what retention says has expired, and logs each deletion: records of each organisation
/// older than its retention (`compliance.orgs[].retention_days`, six years under `hipaa`, else
/// `compliance.retention_days`), then the audit log's prefix older than the longest of them
/// (its leaf hashes stay, so the tree and its checkpoints still verify). Every purge that deleted
/// something is a `purge` entry: target `request_log:<org>` (`request_log` for the rest) or
/// `audit_log`, the cut-off time and the rows.
///
/// Instances sharing a database sweep once per interval between them: the first to claim the
/// interval's slot in the setting store does it.
final class RetentionSweeper: Service, Sendable {
    private let compliance: KeelConfiguration.Compliance
    private let stores: KeelStores
    private let recorder: RequestRecorder
    private let instanceID: String
    private let logger: Logger

    init(
        compliance: KeelConfiguration.Compliance,
        stores: KeelStores,
        recorder: RequestRecorder,
        instanceID: String,
        logger: Logger
    ) {
        self.compliance = compliance
        self.stores = stores
        self.recorder = recorder
        self.instanceID = instanceID
        self.logger = logger
    }

    func run() async throws {
        let interval = Duration.milliseconds(self.compliance.retentionSweepIntervalMs)
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.sweepIfClaimed(now: WallClock.unixMicros())
                try? await Task.sleep(for: interval)
            }
        }
    }

    /// Sweeps when this instance wins the current interval's slot.
    func sweepIfClaimed(now: Int64) async {
        let slot = now / (Int64(self.compliance.retentionSweepIntervalMs) * 1_000)
        do {
            let winner = try await self.stores.settings.insertIfAbsent(self.instanceID, for: "retention-sweep:\(slot)")
            guard winner == self.instanceID else { return }
            try await self.sweep(now: now)
        } catch {
            self.logger.error(
                "The retention sweep failed; it runs again next interval",
                metadata: ["error.message": "\(error)"]
            )
        }
    }

    /// Deletes every record and audit entry past its retention at `now`, logging each purge.
    func sweep(now: Int64) async throws {
        func cutoff(days: Int) -> Int64 { now - Int64(days) * 86_400_000_000 }
        var purges: [AuditEntry.Purge] = []
        for org in self.compliance.orgs {
            let before = cutoff(days: self.compliance.retentionDays(of: org))
            let rows = try await self.stores.requests.purge(startedBefore: before, scope: .org(org.org))
            if rows > 0 {
                purges.append(
                    AuditEntry.Purge(target: "request_log:\(org.org.rawValue)", before: before, rows: Int64(rows))
                )
            }
        }
        // Kept bodies, before the records they belong to.
        for org in self.compliance.orgs {
            let before = cutoff(days: self.compliance.bodyRetentionDays(of: org))
            let rows = try await self.stores.bodies.purge(startedBefore: before, scope: .org(org.org))
            if rows > 0 {
                purges.append(
                    AuditEntry.Purge(target: "request_bodies:\(org.org.rawValue)", before: before, rows: Int64(rows))
                )
            }
        }
        let bodiesBefore = cutoff(days: self.compliance.defaultBodyRetentionDays)
        let bodies = try await self.stores.bodies.purge(
            startedBefore: bodiesBefore,
            scope: .allExcept(Set(self.compliance.orgs.map(\.org)))
        )
        if bodies > 0 {
            purges.append(AuditEntry.Purge(target: "request_bodies", before: bodiesBefore, rows: Int64(bodies)))
        }
        let before = cutoff(days: self.compliance.retentionDays)
        let rows = try await self.stores.requests.purge(
            startedBefore: before,
            scope: .allExcept(Set(self.compliance.orgs.map(\.org)))
        )
        if rows > 0 { purges.append(AuditEntry.Purge(target: "request_log", before: before, rows: Int64(rows))) }
        let auditBefore = cutoff(days: self.compliance.auditRetentionDays)
        let audit = try await self.stores.audit.purge(before: auditBefore)
        if audit.rows > 0 {
            purges.append(AuditEntry.Purge(target: "audit_log", before: auditBefore, rows: Int64(audit.rows)))
        }
        // Probe results are evidence of the policies: kept as long as the audit log.
        let probes = try await self.stores.policies.purgeProbeResults(before: auditBefore)
        if probes > 0 {
            purges.append(AuditEntry.Purge(target: "policy_probe_results", before: auditBefore, rows: Int64(probes)))
        }
        for purge in purges {
            self.logger.notice(
                "Retention purged",
                metadata: ["keel.purge.target": "\(purge.target)", "keel.purge.rows": "\(purge.rows)"]
            )
            await self.recorder.append(.purge(purge), time: now)
        }
    }
}
