extension AuditEntry {
    /// Reads an entry from its stored bytes, which must be its canonical JSON: the same bytes
    /// re-encode to themselves. Members that version 1 does not define are refused (a new member
    /// makes a new version, see `docs/audit-log.md`).
    public init(canonicalBytes bytes: some Collection<UInt8>) throws(AuditEntryError) {
        let input = Array(bytes)
        let value: JSONValue
        do {
            value = try input.withUnsafeBytes { buffer throws(JSONScanner.SyntaxError) in try JSONValue(parsing: buffer)
            }
        } catch {
            throw .invalidJSON
        }
        guard (try? CanonicalJSON.encode(value)) == input else { throw .notCanonical }
        try self.init(jsonValue: value)
    }

    /// Reads an entry from a JSON value.
    public init(jsonValue: JSONValue) throws(AuditEntryError) {
        var reader = try MemberReader(jsonValue, path: "")
        let version = try reader.integer("v")
        guard version == Int64(Self.currentVersion) else { throw .unsupportedVersion(Int(version)) }
        let kindText = try reader.string("kind")
        guard let kind = Kind(rawValue: kindText) else { throw .unknownKind(kindText) }
        let instanceID = try reader.string("instance_id")
        let seq = try reader.integer("seq")
        guard seq >= 1 else { throw .invalidMember("seq") }
        let time = try reader.integer("time")
        let payload: Payload
        switch kind {
        case .request: payload = .request(try Request(reading: &reader))
        case .requestStarted:
            var record = RequestRecord(
                id: RequestID(try reader.string("request_id")),
                startedAt: time,
                operation: try reader.string("operation"),
                requestedModel: try reader.string("requested_model"),
                status: 0,
                outcome: .success,
                totalMicros: 0
            )
            record.keyID = try reader.optionalString("key_id").map { KeyID($0) }
            record.orgID = try reader.optionalString("org_id").map { OrgID($0) }
            record.teamID = try reader.optionalString("team_id").map { TeamID($0) }
            record.projectID = try reader.optionalString("project_id").map { ProjectID($0) }
            record.userID = try reader.optionalString("user_id").map { UserID($0) }
            payload = .requestStarted(RequestStarted(record))
        case .adminChange: payload = .adminChange(try AdminChange(reading: &reader))
        case .configLoaded:
            payload = .configLoaded(
                ConfigLoaded(configSHA256: try reader.hexDigest("config_sha256"), source: try reader.string("source"))
            )
        case .purge:
            payload = .purge(
                Purge(
                    target: try reader.string("target"),
                    before: try reader.integer("before"),
                    rows: try reader.integer("rows")
                )
            )
        case .checkpoint:
            let size = try reader.integer("tree_size")
            guard size >= 0, let root = MerkleHash(base64: try reader.string("root_hash")) else {
                throw .invalidMember("root_hash")
            }
            payload = .checkpoint(
                CheckpointSigned(treeSize: UInt64(size), rootHash: root, verifierKey: try reader.string("verifier_key"))
            )
        }
        try reader.finish()
        self.init(instanceID: instanceID, seq: UInt64(seq), time: time, payload: payload)
    }
}

extension AuditEntry.Request {
    fileprivate init(reading reader: inout MemberReader) throws(AuditEntryError) {
        func parsed<Value: RawRepresentable>(_ key: String, _ text: String?) throws(AuditEntryError) -> Value?
        where Value.RawValue == String {
            guard let text else { return nil }
            guard let value = Value(rawValue: text) else { throw .invalidMember(key) }
            return value
        }
        var tokens = try reader.object("tokens")
        let usage = TokenUsage(
            inputTokens: try tokens.integer("input"),
            outputTokens: try tokens.integer("output"),
            cachedInputTokens: try tokens.integer("cached_input"),
            cacheWriteTokens: try tokens.integer("cache_write"),
            cacheWrite1hTokens: try tokens.integer("cache_write_1h"),
            reasoningTokens: try tokens.integer("reasoning"),
            webSearchRequests: try tokens.integer("web_searches")
        )
        try tokens.finish()
        let requestID = RequestID(try reader.string("request_id"))
        let operation = try reader.string("operation")
        let keyID = try reader.optionalString("key_id").map { KeyID($0) }
        let orgID = try reader.optionalString("org_id").map { OrgID($0) }
        let teamID = try reader.optionalString("team_id").map { TeamID($0) }
        let projectID = try reader.optionalString("project_id").map { ProjectID($0) }
        let userID = try reader.optionalString("user_id").map { UserID($0) }
        let outcome: RequestRecord.Outcome = try parsed("outcome", try reader.string("outcome"))!
        let taskOutcome: AgentTask.Outcome? = try parsed("task_outcome", try reader.optionalString("task_outcome"))
        var record = RequestRecord(
            id: requestID,
            startedAt: 0,
            operation: operation,
            requestedModel: try reader.string("requested_model"),
            status: Int(try reader.integer("status")),
            outcome: outcome,
            totalMicros: try reader.integer("total_us")
        )
        record.keyID = keyID
        record.orgID = orgID
        record.teamID = teamID
        record.projectID = projectID
        record.userID = userID
        record.model = try reader.optionalString("model")
        record.provider = try reader.optionalString("provider")
        record.deployment = try reader.optionalString("deployment")
        record.stream = try reader.bool("stream")
        record.errorClass = try reader.optionalString("error_class")
        record.attempts = Int(try reader.integer("attempts"))
        record.ttftMicros = try reader.optionalInteger("ttft_us")
        record.upstreamMicros = try reader.optionalInteger("upstream_us")
        record.usage = usage
        record.cost = USDNanos(try reader.integer("cost_nanos"))
        record.cacheHit = try reader.bool("cache_hit")
        record.agentID = try reader.optionalString("agent_id")
        record.taskID = try reader.optionalString("task_id")
        record.taskOutcome = taskOutcome
        record.toolName = try reader.optionalString("tool_name")
        record.usageEstimated = try reader.bool("usage_estimated")
        var digests: AuditEntry.ContentDigests?
        if let saltID = try reader.optionalString("digest_salt_id") {
            digests = AuditEntry.ContentDigests(
                saltID: saltID,
                prompt: try reader.optionalHexDigest("prompt_sha256"),
                answer: try reader.optionalHexDigest("answer_sha256")
            )
        }
        self.init(record, contentDigests: digests)
    }
}

extension AuditEntry.AdminChange {
    fileprivate init(reading reader: inout MemberReader) throws(AuditEntryError) {
        var actor = try reader.object("actor")
        let keyID = KeyID(try actor.string("key_id"))
        let roleText = try actor.string("role")
        guard let role = AdminRole(rawValue: roleText) else { throw .invalidMember("actor.role") }
        try actor.finish()
        var target = try reader.object("target")
        let targetType = try target.string("type")
        let targetID = try target.string("id")
        try target.finish()
        let action = try reader.string("action")
        let requestID = try reader.optionalString("request_id").map { RequestID($0) }
        let summary = try reader.value("summary")
        guard summary == Self.redacted(summary) else { throw .invalidMember("summary") }
        let change: Self
        do {
            change = try Self(
                actorKeyID: keyID,
                actorRole: role,
                action: action,
                targetType: targetType,
                targetID: targetID,
                requestID: requestID,
                summary: summary
            )
        } catch {
            throw .invalidMember("summary")
        }
        self = change
    }
}

/// Reads the members of one JSON object, each once, and reports those left unread.
private struct MemberReader {
    private var members: [String: JSONValue]
    private let path: String

    init(_ value: JSONValue, path: String) throws(AuditEntryError) {
        guard case .object(let list) = value else { throw .invalidMember(path.isEmpty ? "entry" : path) }
        self.members = Dictionary(list.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
        self.path = path
    }

    private func name(_ key: String) -> String { self.path.isEmpty ? key : "\(self.path).\(key)" }

    mutating func value(_ key: String) throws(AuditEntryError) -> JSONValue {
        guard let value = self.members.removeValue(forKey: key) else { throw .missingMember(self.name(key)) }
        return value
    }

    mutating func optionalValue(_ key: String) -> JSONValue? {
        self.members.removeValue(forKey: key)
    }

    mutating func string(_ key: String) throws(AuditEntryError) -> String {
        guard case .string(let text) = try self.value(key) else { throw .invalidMember(self.name(key)) }
        return text
    }

    mutating func optionalString(_ key: String) throws(AuditEntryError) -> String? {
        guard let value = self.optionalValue(key) else { return nil }
        guard case .string(let text) = value else { throw .invalidMember(self.name(key)) }
        return text
    }

    mutating func bool(_ key: String) throws(AuditEntryError) -> Bool {
        guard case .bool(let flag) = try self.value(key) else { throw .invalidMember(self.name(key)) }
        return flag
    }

    mutating func integer(_ key: String) throws(AuditEntryError) -> Int64 {
        try Self.integer(try self.value(key), name: self.name(key))
    }

    mutating func optionalInteger(_ key: String) throws(AuditEntryError) -> Int64? {
        guard let value = self.optionalValue(key) else { return nil }
        return try Self.integer(value, name: self.name(key))
    }

    mutating func hexDigest(_ key: String) throws(AuditEntryError) -> String {
        let text = try self.string(key)
        guard Self.isHexDigest(text) else { throw .invalidMember(self.name(key)) }
        return text
    }

    mutating func optionalHexDigest(_ key: String) throws(AuditEntryError) -> String? {
        guard let text = try self.optionalString(key) else { return nil }
        guard Self.isHexDigest(text) else { throw .invalidMember(self.name(key)) }
        return text
    }

    mutating func object(_ key: String) throws(AuditEntryError) -> MemberReader {
        try MemberReader(try self.value(key), path: self.name(key))
    }

    /// Refuses members nobody read.
    func finish() throws(AuditEntryError) {
        if let unexpected = self.members.keys.sorted().first { throw .unexpectedMember(self.name(unexpected)) }
    }

    private static func integer(_ value: JSONValue, name: String) throws(AuditEntryError) -> Int64 {
        guard case .number(let text) = value, let integer = Int64(text), integer.magnitude < 1 << 53 else {
            throw .invalidMember(name)
        }
        return integer
    }

    private static func isHexDigest(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }
}

/// Why stored bytes are not a valid audit entry.
public enum AuditEntryError: Error, Sendable, Equatable {
    /// Not JSON.
    case invalidJSON
    /// JSON, but not in RFC 8785 canonical form: the bytes were altered or written by other code.
    case notCanonical
    /// A schema version this code does not know.
    case unsupportedVersion(Int)
    case unknownKind(String)
    /// A required member is missing (dotted path for nested members: `tokens.input`).
    case missingMember(String)
    /// A member has the wrong type or an invalid value.
    case invalidMember(String)
    /// A member the entry's version and kind do not define.
    case unexpectedMember(String)
}
