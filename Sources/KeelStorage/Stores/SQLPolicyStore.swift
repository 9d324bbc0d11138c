import KeelCore

/// Policies in the `policy` table and probe results in `policy_probe_result`, on either backend.
struct SQLPolicyStore: PolicyStore {
    let database: any SQLDatabase

    private static let policyColumns: SQLStatement =
        "id, document\(sqlite: "", postgres: "::text") AS document, created_at, updated_at"
    private static let probeColumns = "run_at, instance_id, policy_id, probe, passed, expected, observed"

    func policies() async throws -> [StoredPolicy] {
        try await self.database.rows("SELECT \(Self.policyColumns) FROM policy ORDER BY created_at, id") { row in
            StoredPolicy(
                id: try row.decode("id"),
                document: try row.decode("document"),
                createdAt: try row.decode("created_at"),
                updatedAt: try row.decode("updated_at")
            )
        }
    }

    func insert(_ policy: StoredPolicy) async throws {
        try await self.database.run(
            """
            INSERT INTO policy (id, document, created_at, updated_at)
            VALUES (\(policy.id), \(json: policy.document), \(policy.createdAt), \(policy.updatedAt))
            """
        )
    }

    func update(_ policy: StoredPolicy) async throws -> Bool {
        try await self.database.run(
            "UPDATE policy SET document = \(json: policy.document), updated_at = \(policy.updatedAt) WHERE id = \(policy.id)"
        ) > 0
    }

    func delete(id: String) async throws -> Bool {
        try await self.database.run("DELETE FROM policy WHERE id = \(id)") > 0
    }

    func appendProbeResults(_ results: [PolicyProbeResult]) async throws {
        guard !results.isEmpty else { return }
        try await self.database.transaction { tx in
            for chunk in results.statementChunks(for: tx.dialect) {
                var statement: SQLStatement = "INSERT INTO policy_probe_result (\(raw: Self.probeColumns)) VALUES "
                for (index, result) in chunk.enumerated() {
                    if index > 0 { statement.append(", ") }
                    statement.append(
                        """
                        (\(result.runAt), \(result.instanceID), \(result.policyID), \(result.probe), \(result.passed), \
                        \(result.expected), \(result.observed))
                        """
                    )
                }
                try await tx.run(statement)
            }
        }
    }

    func probeResults(from: Int64, to: Int64, limit: Int) async throws -> [PolicyProbeResult] {
        try await self.database.rows(
            """
            SELECT \(raw: Self.probeColumns) FROM policy_probe_result WHERE run_at >= \(from) AND run_at < \(to)
            ORDER BY run_at, instance_id, policy_id, probe LIMIT \(limit)
            """,
            Self.result(from:)
        )
    }

    func latestProbeResults() async throws -> [PolicyProbeResult] {
        try await self.database.rows(
            """
            SELECT \(raw: Self.probeColumns) FROM policy_probe_result p
            WHERE (p.run_at, p.instance_id) = (SELECT run_at, instance_id FROM policy_probe_result ORDER BY run_at DESC, instance_id LIMIT 1)
            ORDER BY policy_id, probe
            """,
            Self.result(from:)
        )
    }

    func purgeProbeResults(before: Int64) async throws -> Int {
        try await self.database.run("DELETE FROM policy_probe_result WHERE run_at < \(before)")
    }

    private static func result(from row: SQLRow) throws -> PolicyProbeResult {
        PolicyProbeResult(
            runAt: try row.decode("run_at"),
            instanceID: try row.decode("instance_id"),
            policyID: try row.decode("policy_id"),
            probe: try row.decode("probe"),
            passed: try row.decode("passed"),
            expected: try row.decode("expected"),
            observed: try row.decode("observed")
        )
    }
}
