extension AuditEntry {
    /// The entry as RFC 8785 canonical JSON: the bytes stored and hashed as its leaf.
    ///
    /// Request and request-started entries, one per request, are written straight from their
    /// fields in canonical member order; the other kinds go through ``jsonValue``. Both give the
    /// same bytes (the tests compare them).
    public func canonicalBytes() -> [UInt8] {
        switch self.payload {
        case .request(let request): return self.canonicalBytes(request)
        case .requestStarted(let started): return self.canonicalBytes(started)
        default: break
        }
        do {
            return try CanonicalJSON.encode(self.jsonValue)
        } catch {
            // Every number of an entry is an integer or comes from a normalized summary, and its
            // member names are distinct: there is nothing to refuse.
            preconditionFailure("an audit entry always has a canonical form: \(error)")
        }
    }

    /// The entry as a JSON value, members in canonical order. Optional fields that are `nil` are
    /// left out, never written as `null`.
    public var jsonValue: JSONValue {
        // Each kind lists its members in canonical order, so that encoding finds them sorted and
        // only merges in the members every entry has (the order is checked, not trusted).
        var members: [JSONValue.Member] = []
        switch self.payload {
        case .request(let request): request.appendMembers(to: &members)
        case .requestStarted(let started):
            func add(_ key: String, _ value: String?) {
                if let value { members.append(.init(key: key, value: .string(value))) }
            }
            add("key_id", started.keyID?.rawValue)
            add("operation", started.operation)
            add("org_id", started.orgID?.rawValue)
            add("project_id", started.projectID?.rawValue)
            add("request_id", started.requestID.rawValue)
            add("requested_model", started.requestedModel)
            add("team_id", started.teamID?.rawValue)
            add("user_id", started.userID?.rawValue)
        case .adminChange(let change): change.appendMembers(to: &members)
        case .configLoaded(let config):
            members.append(.init(key: "config_sha256", value: .string(config.configSHA256)))
            members.append(.init(key: "source", value: .string(config.source)))
        case .purge(let purge):
            members.append(.init(key: "before", value: Self.integer(purge.before)))
            members.append(.init(key: "rows", value: Self.integer(purge.rows)))
            members.append(.init(key: "target", value: .string(purge.target)))
        case .checkpoint(let checkpoint):
            members.append(.init(key: "root_hash", value: .string(checkpoint.rootHash.base64)))
            members.append(.init(key: "tree_size", value: Self.integer(checkpoint.treeSize)))
            members.append(.init(key: "verifier_key", value: .string(checkpoint.verifierKey)))
        }
        let common: [JSONValue.Member] = [
            .init(key: "instance_id", value: .string(self.instanceID)),
            .init(key: "kind", value: .string(self.kind.rawValue)),
            .init(key: "seq", value: Self.integer(self.seq)),
            .init(key: "time", value: Self.integer(self.time)),
            .init(key: "v", value: .int(self.version)),
        ]
        return .object(Self.merged(common, members))
    }

    /// The members of two lists in canonical order, merged into one in that order.
    private static func merged(_ first: [JSONValue.Member], _ second: [JSONValue.Member]) -> [JSONValue.Member] {
        var result: [JSONValue.Member] = []
        result.reserveCapacity(first.count + second.count)
        var (i, j) = (0, 0)
        while i < first.count && j < second.count {
            if CanonicalJSON.precedes(second[j].key, first[i].key) {
                result.append(second[j])
                j += 1
            } else {
                result.append(first[i])
                i += 1
            }
        }
        result.append(contentsOf: first[i...])
        result.append(contentsOf: second[j...])
        return result
    }

    /// An integer within I-JSON's exact range, ±(2^53 − 1); beyond it is a programmer error (no
    /// count, time or cost of Keel's comes near).
    static func integer(_ value: some BinaryInteger) -> JSONValue {
        precondition(
            Int64(exactly: value).map { $0.magnitude < 1 << 53 } ?? false,
            "audit entry integers stay within ±(2^53 − 1)"
        )
        return .int(value)
    }
}

extension AuditEntry.Request {
    /// Appends the request's members in canonical order.
    fileprivate func appendMembers(to members: inout [JSONValue.Member]) {
        func add(_ key: String, _ value: JSONValue?) {
            if let value { members.append(.init(key: key, value: value)) }
        }
        let digests = self.contentDigests
        add("agent_id", self.agentID.map { .string($0) })
        add("answer_sha256", digests?.answer.map { .string($0) })
        add("attempts", AuditEntry.integer(self.attempts))
        add("cache_hit", .bool(self.cacheHit))
        add("cost_nanos", AuditEntry.integer(self.cost.rawValue))
        add("deployment", self.deployment.map { .string($0) })
        add("digest_salt_id", digests.map { .string($0.saltID) })
        add("error_class", self.errorClass.map { .string($0) })
        add("key_id", self.keyID.map { .string($0.rawValue) })
        add("model", self.model.map { .string($0) })
        add("operation", .string(self.operation))
        add("org_id", self.orgID.map { .string($0.rawValue) })
        add("outcome", .string(self.outcome.rawValue))
        add("project_id", self.projectID.map { .string($0.rawValue) })
        add("prompt_sha256", digests?.prompt.map { .string($0) })
        add("provider", self.provider.map { .string($0) })
        add("request_id", .string(self.requestID.rawValue))
        add("requested_model", .string(self.requestedModel))
        add("status", AuditEntry.integer(self.status))
        add("stream", .bool(self.stream))
        add("task_id", self.taskID.map { .string($0) })
        add("task_outcome", self.taskOutcome.map { .string($0.rawValue) })
        add("team_id", self.teamID.map { .string($0.rawValue) })
        add(
            "tokens",
            .object([
                .init(key: "cache_write", value: AuditEntry.integer(self.usage.cacheWriteTokens)),
                .init(key: "cache_write_1h", value: AuditEntry.integer(self.usage.cacheWrite1hTokens)),
                .init(key: "cached_input", value: AuditEntry.integer(self.usage.cachedInputTokens)),
                .init(key: "input", value: AuditEntry.integer(self.usage.inputTokens)),
                .init(key: "output", value: AuditEntry.integer(self.usage.outputTokens)),
                .init(key: "reasoning", value: AuditEntry.integer(self.usage.reasoningTokens)),
                .init(key: "web_searches", value: AuditEntry.integer(self.usage.webSearchRequests)),
            ])
        )
        add("tool_name", self.toolName.map { .string($0) })
        add("total_us", AuditEntry.integer(self.totalMicros))
        add("ttft_us", self.ttftMicros.map { AuditEntry.integer($0) })
        add("upstream_us", self.upstreamMicros.map { AuditEntry.integer($0) })
        add("usage_estimated", .bool(self.usageEstimated))
        add("user_id", self.userID.map { .string($0.rawValue) })
    }
}

extension AuditEntry.AdminChange {
    /// Appends the change's members in canonical order.
    fileprivate func appendMembers(to members: inout [JSONValue.Member]) {
        members.append(.init(key: "action", value: .string(self.action)))
        members.append(
            .init(
                key: "actor",
                value: .object([
                    .init(key: "key_id", value: .string(self.actorKeyID.rawValue)),
                    .init(key: "role", value: .string(self.actorRole.rawValue)),
                ])
            )
        )
        if let requestID = self.requestID {
            members.append(.init(key: "request_id", value: .string(requestID.rawValue)))
        }
        members.append(.init(key: "summary", value: self.summary))
        members.append(
            .init(
                key: "target",
                value: .object([
                    .init(key: "id", value: .string(self.targetID)),
                    .init(key: "type", value: .string(self.targetType)),
                ])
            )
        )
    }
}

extension AuditEntry {
    /// A request entry's canonical bytes, members written in canonical order.
    private func canonicalBytes(_ request: Request) -> [UInt8] {
        var writer = CanonicalObjectWriter(capacity: 768)
        let digests = request.contentDigests
        writer.string("agent_id", request.agentID)
        writer.string("answer_sha256", digests?.answer)
        writer.integer("attempts", request.attempts)
        writer.bool("cache_hit", request.cacheHit)
        writer.integer("cost_nanos", request.cost.rawValue)
        writer.string("deployment", request.deployment)
        writer.string("digest_salt_id", digests?.saltID)
        writer.string("error_class", request.errorClass)
        writer.string("instance_id", self.instanceID)
        writer.string("key_id", request.keyID?.rawValue)
        writer.string("kind", self.kind.rawValue)
        writer.string("model", request.model)
        writer.string("operation", request.operation)
        writer.string("org_id", request.orgID?.rawValue)
        writer.string("outcome", request.outcome.rawValue)
        writer.string("project_id", request.projectID?.rawValue)
        writer.string("prompt_sha256", digests?.prompt)
        writer.string("provider", request.provider)
        writer.string("request_id", request.requestID.rawValue)
        writer.string("requested_model", request.requestedModel)
        writer.integer("seq", self.seq)
        writer.integer("status", request.status)
        writer.bool("stream", request.stream)
        writer.string("task_id", request.taskID)
        writer.string("task_outcome", request.taskOutcome?.rawValue)
        writer.string("team_id", request.teamID?.rawValue)
        writer.integer("time", self.time)
        let usage = request.usage
        writer.object("tokens") { tokens in
            tokens.integer("cache_write", usage.cacheWriteTokens)
            tokens.integer("cache_write_1h", usage.cacheWrite1hTokens)
            tokens.integer("cached_input", usage.cachedInputTokens)
            tokens.integer("input", usage.inputTokens)
            tokens.integer("output", usage.outputTokens)
            tokens.integer("reasoning", usage.reasoningTokens)
            tokens.integer("web_searches", usage.webSearchRequests)
        }
        writer.string("tool_name", request.toolName)
        writer.integer("total_us", request.totalMicros)
        writer.integer("ttft_us", request.ttftMicros)
        writer.integer("upstream_us", request.upstreamMicros)
        writer.bool("usage_estimated", request.usageEstimated)
        writer.string("user_id", request.userID?.rawValue)
        writer.integer("v", self.version)
        return writer.finish()
    }

    /// A request-started entry's canonical bytes, members written in canonical order.
    private func canonicalBytes(_ started: RequestStarted) -> [UInt8] {
        var writer = CanonicalObjectWriter(capacity: 384)
        writer.string("instance_id", self.instanceID)
        writer.string("key_id", started.keyID?.rawValue)
        writer.string("kind", self.kind.rawValue)
        writer.string("operation", started.operation)
        writer.string("org_id", started.orgID?.rawValue)
        writer.string("project_id", started.projectID?.rawValue)
        writer.string("request_id", started.requestID.rawValue)
        writer.string("requested_model", started.requestedModel)
        writer.integer("seq", self.seq)
        writer.string("team_id", started.teamID?.rawValue)
        writer.integer("time", self.time)
        writer.string("user_id", started.userID?.rawValue)
        writer.integer("v", self.version)
        return writer.finish()
    }
}

/// Writes one JSON object's members, given in canonical order, as RFC 8785 bytes: the entry
/// kinds written once per request skip building a ``JSONValue`` and sorting it. A member whose
/// value is `nil` is left out. Debug builds check that names arrive in canonical order.
struct CanonicalObjectWriter {
    private var bytes: [UInt8]
    private var empty = true
    #if DEBUG
    private var lastName: String?
    #endif

    init(capacity: Int) {
        self.bytes = []
        self.bytes.reserveCapacity(capacity)
        self.bytes.append(UInt8(ascii: "{"))
    }

    /// A nested object, written into its parent's bytes (``object(_:_:)``).
    private init() {
        self.bytes = []
    }

    /// Starts a member: its name and the colon; its value comes next.
    mutating func key(_ name: StaticString) {
        #if DEBUG
        let text = name.description
        if let lastName = self.lastName {
            assert(CanonicalJSON.precedes(lastName, text), "members out of canonical order: \(lastName), \(text)")
        }
        self.lastName = text
        #endif
        if !self.empty { self.bytes.append(UInt8(ascii: ",")) }
        self.empty = false
        self.bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { self.bytes.append(contentsOf: $0) }
        self.bytes.append(UInt8(ascii: "\""))
        self.bytes.append(UInt8(ascii: ":"))
    }

    mutating func string(_ name: StaticString, _ value: String?) {
        guard let value else { return }
        self.key(name)
        CanonicalJSON.appendString(value, to: &self.bytes)
    }

    mutating func bool(_ name: StaticString, _ value: Bool) {
        self.key(name)
        let literal: StaticString = value ? "true" : "false"
        literal.withUTF8Buffer { self.bytes.append(contentsOf: $0) }
    }

    /// An integer within I-JSON's exact range, ±(2^53 − 1), written as its decimal digits (its
    /// canonical form); beyond it is a programmer error (no count, time or cost of Keel's comes near).
    mutating func integer(_ name: StaticString, _ value: (some BinaryInteger)?) {
        guard let value else { return }
        guard let exact = Int64(exactly: value), exact.magnitude < 1 << 53 else {
            preconditionFailure("audit entry integers stay within ±(2^53 − 1)")
        }
        self.key(name)
        if exact < 0 { self.bytes.append(UInt8(ascii: "-")) }
        var magnitude = exact.magnitude
        var digits: (UInt64, UInt64) = (0, 0)  // 16 bytes: room for 2^53's 16 digits
        withUnsafeMutableBytes(of: &digits) { buffer in
            var end = buffer.count
            repeat {
                end -= 1
                buffer[end] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            self.bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[end...]))
        }
    }

    /// A member whose value is an object, its members written by `members`.
    mutating func object(_ name: StaticString, _ members: (inout CanonicalObjectWriter) -> Void) {
        self.key(name)
        var nested = CanonicalObjectWriter()
        swap(&nested.bytes, &self.bytes)  // one buffer, never copied
        nested.bytes.append(UInt8(ascii: "{"))
        members(&nested)
        swap(&nested.bytes, &self.bytes)
        self.bytes.append(UInt8(ascii: "}"))
    }

    /// The object's bytes, closed.
    consuming func finish() -> [UInt8] {
        self.bytes.append(UInt8(ascii: "}"))
        return self.bytes
    }
}
