/// Compliance policies made through the admin API, and what the policy probes observed.
///
/// A policy is stored as its JSON document (the keys of the configuration's `policies[]`
/// entries); the server reads and validates it, the store keeps it. Policies of the configuration
/// file are not stored.
public protocol PolicyStore: Sendable {
    /// Every stored policy, oldest first (then by id).
    func policies() async throws -> [StoredPolicy]
    /// Stores a new policy; an id that exists throws ``StorageError`` `.conflict`.
    func insert(_ policy: StoredPolicy) async throws
    /// Replaces the document of the stored policy with `policy.id` and sets its `updatedAt`;
    /// `false` when there is none.
    func update(_ policy: StoredPolicy) async throws -> Bool
    /// Deletes the policy; `false` when there is none. Its probe results stay (evidence).
    func delete(id: String) async throws -> Bool

    /// Stores the results of one probe run.
    func appendProbeResults(_ results: [PolicyProbeResult]) async throws
    /// The results of runs that started in `[from, to)` (Unix µs), oldest first, at most `limit`.
    func probeResults(from: Int64, to: Int64, limit: Int) async throws -> [PolicyProbeResult]
    /// The results of the latest run of any instance, or none.
    func latestProbeResults() async throws -> [PolicyProbeResult]
    /// Deletes the results of runs that started before `before` (Unix µs); returns how many.
    func purgeProbeResults(before: Int64) async throws -> Int
}

/// A policy as the admin API stored it.
public struct StoredPolicy: Sendable, Equatable {
    public var id: String
    /// The policy as a JSON object, with the keys of the configuration's `policies[]` entries.
    public var document: String
    /// Unix µs.
    public var createdAt: Int64
    public var updatedAt: Int64

    public init(id: String, document: String, createdAt: Int64, updatedAt: Int64) {
        self.id = id
        self.document = document
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// What one probe of one policy observed in one run.
public struct PolicyProbeResult: Sendable, Equatable {
    /// When the run started (Unix µs); every result of a run has the same.
    public var runAt: Int64
    public var instanceID: String
    public var policyID: String
    /// What was probed, e.g. `models.deny`, `baa_required`, `secrets.redact`, `injection.block`.
    public var probe: String
    public var passed: Bool
    /// What the policy demands of the synthetic request.
    public var expected: String
    /// What the live policy engine did with it.
    public var observed: String

    public init(
        runAt: Int64,
        instanceID: String,
        policyID: String,
        probe: String,
        passed: Bool,
        expected: String,
        observed: String
    ) {
        self.runAt = runAt
        self.instanceID = instanceID
        self.policyID = policyID
        self.probe = probe
        self.passed = passed
        self.expected = expected
        self.observed = observed
    }
}
