public import KeelCore

/// The request log: one row per admitted request, the source of truth for what happened.
///
/// The recorder creates ids and timestamps; a store writes records exactly as given.
public protocol RequestRecordStore: Sendable {
    /// Appends `records` atomically: all of them are stored, or none. A record whose id is
    /// already stored, or appears twice in the batch, rejects the whole batch with
    /// ``StorageError`` `.conflict`; a value the schema refuses (a negative count or cost) with
    /// `.invalidValue`.
    func append(_ records: [RequestRecord]) async throws

    /// Appends `records` and the audit log's `leaves` in one transaction: all of them are stored,
    /// or none — never a record without its entry. Returns where the entries went (`nil` for no
    /// leaves). Errors as ``append(_:)``.
    @discardableResult
    func append(_ records: [RequestRecord], audit leaves: [AuditLeaf]) async throws -> AuditAppendResult?

    /// ``append(_:audit:)`` for the request recorder, which says whether the batch is `urgent`:
    /// the recorder is behind (two full batches or more waiting), or someone waits for an entry
    /// of the batch to be stored (strict mode). A store that writes its batches in the background
    /// at low priority (SQLite, on the gateway's own cores) writes an urgent one at normal
    /// priority. The default ignores it.
    @discardableResult
    func append(_ records: [RequestRecord], audit leaves: [AuditLeaf], urgent: Bool) async throws -> AuditAppendResult?

    /// Records matching `query`, newest first (by `startedAt`, then `id` descending), at most
    /// `query.limit` of them.
    func records(matching query: RequestRecordQuery) async throws -> [RequestRecord]

    /// How many records match `query`'s filters (its limit and cursor are ignored).
    func count(matching query: RequestRecordQuery) async throws -> Int

    /// Deletes the records of `scope` that started before `time` (µs): retention. The cost
    /// rollups keep their sums. Returns how many were deleted.
    func purge(startedBefore time: Int64, scope: RetentionScope) async throws -> Int
}

/// Whose records a retention sweep deletes.
public enum RetentionScope: Sendable, Equatable {
    /// The records of one organisation.
    case org(OrgID)
    /// Every record not of these organisations, those without one included.
    case allExcept(Set<OrgID>)
}

/// Filters and a page cursor for reading the request log.
public struct RequestRecordQuery: Sendable, Equatable {
    public var keyID: KeyID?
    public var orgID: OrgID?
    public var teamID: TeamID?
    public var projectID: ProjectID?
    public var userID: UserID?
    /// Matches the configured model name (`RequestRecord.model`) or, when that is empty, the requested one.
    public var model: String?
    public var provider: String?
    /// Only records carrying this tag (`key`, `value`).
    public var tag: Tag?
    /// Only records of this agent (`RequestRecord.agentID`).
    public var agentID: String?
    /// Only records of this agent task (`RequestRecord.taskID`).
    public var taskID: String?
    public var outcome: RequestRecord.Outcome?
    public var status: Int?
    /// Inclusive lower bound on `startedAt` (µs since the epoch).
    public var from: Int64?
    /// Exclusive upper bound on `startedAt`.
    public var to: Int64?
    /// Page cursor: only records strictly older than this (`startedAt`, `id`) pair.
    public var before: Cursor?
    public var limit: Int
    /// Only records of one of these teams or keys; `nil` does not restrict. The admin API keeps a
    /// caller to its scope with it.
    public var within: Scope?

    /// A set of teams and keys: a record is in it when its team or its key is.
    public struct Scope: Sendable, Equatable {
        public var teamIDs: Set<TeamID>
        public var keyIDs: Set<KeyID>

        public init(teamIDs: Set<TeamID> = [], keyIDs: Set<KeyID> = []) {
            self.teamIDs = teamIDs
            self.keyIDs = keyIDs
        }
    }

    /// One attribution tag.
    public struct Tag: Sendable, Equatable, Hashable {
        public var key: String
        public var value: String

        public init(key: String, value: String) {
            self.key = key
            self.value = value
        }
    }

    /// Position in the newest-first order of the log.
    public struct Cursor: Sendable, Equatable {
        public var startedAt: Int64
        public var id: RequestID

        public init(startedAt: Int64, id: RequestID) {
            self.startedAt = startedAt
            self.id = id
        }
    }

    public init(
        keyID: KeyID? = nil,
        teamID: TeamID? = nil,
        projectID: ProjectID? = nil,
        userID: UserID? = nil,
        model: String? = nil,
        provider: String? = nil,
        outcome: RequestRecord.Outcome? = nil,
        status: Int? = nil,
        from: Int64? = nil,
        to: Int64? = nil,
        before: Cursor? = nil,
        limit: Int = 100,
        within: Scope? = nil,
        orgID: OrgID? = nil,
        tag: Tag? = nil,
        agentID: String? = nil,
        taskID: String? = nil
    ) {
        self.agentID = agentID
        self.taskID = taskID
        self.keyID = keyID
        self.orgID = orgID
        self.tag = tag
        self.teamID = teamID
        self.projectID = projectID
        self.userID = userID
        self.model = model
        self.provider = provider
        self.outcome = outcome
        self.status = status
        self.from = from
        self.to = to
        self.before = before
        self.limit = limit
        self.within = within
    }
}

extension RequestRecordStore {
    @discardableResult
    public func append(
        _ records: [RequestRecord],
        audit leaves: [AuditLeaf],
        urgent: Bool
    ) async throws -> AuditAppendResult? {
        try await self.append(records, audit: leaves)
    }
}
