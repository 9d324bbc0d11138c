/// One entry of the audit log: a leaf of its Merkle tree, stored and hashed as its RFC 8785
/// canonical JSON bytes (``canonicalBytes``). The schema, field by field, is in
/// `docs/audit-log.md`.
///
/// Every entry carries the schema version `v`, its `kind`, the `instance_id` of the Keel process
/// that wrote it, that instance's `seq` (1, 2, 3… with no gaps) and its `time` in microseconds
/// since the Unix epoch (UTC); the rest depends on the kind. An entry never holds prompt or
/// answer text, only salted digests of them (``AuditContentDigester``).
public struct AuditEntry: Sendable, Equatable {
    /// The schema version this code writes and reads.
    public static let currentVersion = 1

    /// What an entry records.
    public enum Kind: String, Sendable, CaseIterable {
        /// One request through the gateway (a ``RequestRecord``).
        case request
        /// A request of an organisation in strict audit mode, logged before it is answered.
        case requestStarted = "request_started"
        /// A change through the admin API, the console or the CLI; incidents, approvals,
        /// playbook actions and manual purges included.
        case adminChange = "admin_change"
        /// The configuration a process started with.
        case configLoaded = "config_loaded"
        /// A retention sweep deleted stored request data.
        case purge
        /// The log signed a checkpoint.
        case checkpoint
    }

    /// The part of an entry that depends on its kind.
    public enum Payload: Sendable, Equatable {
        case request(Request)
        case requestStarted(RequestStarted)
        case adminChange(AdminChange)
        case configLoaded(ConfigLoaded)
        case purge(Purge)
        case checkpoint(CheckpointSigned)

        public var kind: Kind {
            switch self {
            case .request: .request
            case .requestStarted: .requestStarted
            case .adminChange: .adminChange
            case .configLoaded: .configLoaded
            case .purge: .purge
            case .checkpoint: .checkpoint
            }
        }
    }

    /// `v`: the schema version.
    public var version: Int
    /// `instance_id`: the Keel process that wrote the entry, chosen when it starts.
    public var instanceID: String
    /// `seq`: the entry's number among its instance's entries, from 1, without gaps.
    public var seq: UInt64
    /// `time`: when the event happened, in microseconds since the Unix epoch (UTC); for a request,
    /// when it started.
    public var time: Int64
    public var payload: Payload

    public var kind: Kind { self.payload.kind }

    public init(instanceID: String, seq: UInt64, time: Int64, payload: Payload) {
        self.version = Self.currentVersion
        self.instanceID = instanceID
        self.seq = seq
        self.time = time
        self.payload = payload
    }
}

extension AuditEntry {
    /// What the log keeps of one request: the record's metadata and digests of its content.
    public struct Request: Sendable, Equatable {
        public var requestID: RequestID
        public var operation: String
        public var orgID: OrgID?
        public var teamID: TeamID?
        public var projectID: ProjectID?
        public var userID: UserID?
        public var keyID: KeyID?
        public var agentID: String?
        public var taskID: String?
        public var taskOutcome: AgentTask.Outcome?
        /// The tool a call through the MCP gateway called.
        public var toolName: String?
        public var requestedModel: String
        public var model: String?
        public var provider: String?
        public var deployment: String?
        public var stream: Bool
        public var status: Int
        public var outcome: RequestRecord.Outcome
        public var errorClass: String?
        public var attempts: Int
        public var usage: TokenUsage
        public var cost: USDNanos
        public var cacheHit: Bool
        public var usageEstimated: Bool
        public var ttftMicros: Int64?
        public var upstreamMicros: Int64?
        public var totalMicros: Int64
        /// Salted digests of the request and answer bodies, and the salt that made them.
        public var contentDigests: ContentDigests?

        /// The entry of `record`, with the digests of its bodies when content is digested.
        public init(_ record: RequestRecord, contentDigests: ContentDigests? = nil) {
            self.requestID = record.id
            self.operation = record.operation
            self.orgID = record.orgID
            self.teamID = record.teamID
            self.projectID = record.projectID
            self.userID = record.userID
            self.keyID = record.keyID
            self.agentID = record.agentID
            self.taskID = record.taskID
            self.taskOutcome = record.taskOutcome
            self.toolName = record.toolName
            self.requestedModel = record.requestedModel
            self.model = record.model
            self.provider = record.provider
            self.deployment = record.deployment
            self.stream = record.stream
            self.status = record.status
            self.outcome = record.outcome
            self.errorClass = record.errorClass
            self.attempts = record.attempts
            self.usage = record.usage
            self.cost = record.cost
            self.cacheHit = record.cacheHit
            self.usageEstimated = record.usageEstimated
            self.ttftMicros = record.ttftMicros
            self.upstreamMicros = record.upstreamMicros
            self.totalMicros = record.totalMicros
            self.contentDigests = contentDigests
        }
    }

    /// What strict mode logs of a request before it is answered: who asked for which model.
    public struct RequestStarted: Sendable, Equatable {
        public var requestID: RequestID
        public var operation: String
        public var orgID: OrgID?
        public var teamID: TeamID?
        public var projectID: ProjectID?
        public var userID: UserID?
        public var keyID: KeyID?
        public var requestedModel: String

        /// The entry of `record` as admitted.
        public init(_ record: RequestRecord) {
            self.requestID = record.id
            self.operation = record.operation
            self.orgID = record.orgID
            self.teamID = record.teamID
            self.projectID = record.projectID
            self.userID = record.userID
            self.keyID = record.keyID
            self.requestedModel = record.requestedModel
        }
    }

    /// `prompt_sha256`, `answer_sha256` and `digest_salt_id`: ``AuditContentDigester`` digests.
    public struct ContentDigests: Sendable, Equatable, Codable {
        /// The salt (one per organisation) that keyed the digests.
        public var saltID: String
        /// Lowercase hex HMAC-SHA-256 of the request body as received; `nil` when there was none.
        public var prompt: String?
        /// Lowercase hex HMAC-SHA-256 of the answer as sent to the client; `nil` when none was sent.
        public var answer: String?

        public init(saltID: String, prompt: String?, answer: String?) {
            self.saltID = saltID
            self.prompt = prompt
            self.answer = answer
        }
    }

    /// A change of Keel's state by an admin key.
    public struct AdminChange: Sendable, Equatable {
        /// The key that made the change.
        public var actorKeyID: KeyID
        public var actorRole: AdminRole
        /// What was done, as `<area>.<verb>`: `keys.create`, `budgets.update`, `incidents.resolve`.
        public var action: String
        /// The kind of thing changed: `key`, `team`, `budget`, `route`…
        public var targetType: String
        public var targetID: String
        /// The admin API request that made the change, when there was one.
        public var requestID: RequestID?
        /// What changed, as JSON, with credentials replaced (``redacted(_:)``), in canonical form
        /// (``CanonicalJSON/normalized(_:)``).
        public private(set) var summary: JSONValue

        /// A change whose `summary` is stored redacted and normalized. Throws for a summary with
        /// no canonical form: a number that is not a finite double, or a repeated member name.
        public init(
            actorKeyID: KeyID,
            actorRole: AdminRole,
            action: String,
            targetType: String,
            targetID: String,
            requestID: RequestID? = nil,
            summary: JSONValue = .object([])
        ) throws(CanonicalJSONError) {
            self.actorKeyID = actorKeyID
            self.actorRole = actorRole
            self.action = action
            self.targetType = targetType
            self.targetID = targetID
            self.requestID = requestID
            self.summary = try CanonicalJSON.normalized(Self.redacted(summary))
        }

        /// The text that replaces a credential in a summary.
        public static let redactionMarker = "<redacted>"

        /// `summary` with the value of every member that names a credential replaced by
        /// ``redactionMarker``, at any depth: names (compared in lowercase) that are `key` or end
        /// in `key` (`api_key`, `admin_key`), or end in `_token` or are `token`, or contain
        /// `secret`, `password`, `passwd`, `credential` or `authorization`.
        public static func redacted(_ summary: JSONValue) -> JSONValue {
            switch summary {
            case .object(let members):
                return .object(
                    members.map { member in
                        Self.namesCredential(member.key)
                            ? JSONValue.Member(key: member.key, value: .string(Self.redactionMarker))
                            : JSONValue.Member(key: member.key, value: Self.redacted(member.value))
                    }
                )
            case .array(let elements):
                return .array(elements.map(Self.redacted))
            case .string, .number, .bool, .null:
                return summary
            }
        }

        static func namesCredential(_ name: String) -> Bool {
            let name = name.lowercased()
            return name.hasSuffix("key") || name == "token" || name.hasSuffix("_token")
                || ["secret", "password", "passwd", "credential", "authorization"].contains { name.contains($0) }
        }
    }

    /// The configuration a process loaded.
    public struct ConfigLoaded: Sendable, Equatable {
        /// Lowercase hex SHA-256 of the configuration file's bytes (secrets are `${ENV}`
        /// references there, not values).
        public var configSHA256: String
        /// Where it came from: the file path, or `default` without a file.
        public var source: String

        public init(configSHA256: String, source: String) {
            self.configSHA256 = configSHA256
            self.source = source
        }
    }

    /// A retention sweep.
    public struct Purge: Sendable, Equatable {
        /// What was deleted: `request_log`, `request_content`…
        public var target: String
        /// Rows older than this (µs since the epoch) were deleted.
        public var before: Int64
        /// How many rows were deleted.
        public var rows: Int64

        public init(target: String, before: Int64, rows: Int64) {
            self.target = target
            self.before = before
            self.rows = rows
        }
    }

    /// The log signed a checkpoint: the log lists its own checkpoints and key changes.
    public struct CheckpointSigned: Sendable, Equatable {
        public var treeSize: UInt64
        public var rootHash: MerkleHash
        /// The verifier key of the signature (``NoteVerifierKey`` string).
        public var verifierKey: String

        public init(treeSize: UInt64, rootHash: MerkleHash, verifierKey: String) {
            self.treeSize = treeSize
            self.rootHash = rootHash
            self.verifierKey = verifierKey
        }
    }
}
