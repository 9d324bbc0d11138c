import FoundationEssentials
import Hummingbird
import KeelCore
import KeelStorage

// `/admin/v1/keys`: create (bound to org/team/project/user, with a role and tags), list
// (filtered, and limited to the caller's scope), get, revoke.
extension AdminAPI {
    struct CreateKey: Decodable {
        var name: String?
        var org: String?
        var team: String?
        var project: String?
        var user: String?
        var models: [String]?
        var role: String?
        var tags: [String: String]?
        /// `30d`, `12h`, `45m` or seconds.
        var expiresIn: String?
        /// A registered agent: the key's requests are that agent's.
        var agent: String?

        enum CodingKeys: String, CodingKey {
            case name, org, team, project, user, models, role, tags, agent
            case expiresIn = "expires_in"
        }
    }

    struct KeyView: Encodable {
        var id: String
        var key: String?
        var keyPrefix: String
        var name: String?
        var org: String?
        var team: String?
        var project: String?
        var user: String?
        var models: [String]
        var role: String
        var tags: [String: String]
        var createdAt: Int64
        var expiresAt: Int64?
        var revokedAt: Int64?
        var suspendedAt: Int64?
        var active: Bool
        var agent: String?

        enum CodingKeys: String, CodingKey {
            case id, key, name, org, team, project, user, models, role, tags, active, agent
            case keyPrefix = "key_prefix"
            case createdAt = "created_at"
            case expiresAt = "expires_at"
            case revokedAt = "revoked_at"
            case suspendedAt = "suspended_at"
        }

        init(_ key: VirtualKey, plain: String? = nil, now: Int64) {
            self.id = key.id.rawValue
            self.key = plain
            self.keyPrefix = key.prefix
            self.name = key.name
            self.org = key.orgID?.rawValue
            self.team = key.teamID?.rawValue
            self.project = key.projectID?.rawValue
            self.user = key.userID?.rawValue
            self.models = key.models
            self.role = key.role.rawValue
            self.tags = key.tags
            // Seconds since the epoch, as OpenAI-style APIs report times.
            self.createdAt = key.createdAt / 1_000_000
            self.expiresAt = key.expiresAt.map { $0 / 1_000_000 }
            self.revokedAt = key.revokedAt.map { $0 / 1_000_000 }
            self.suspendedAt = key.suspendedAt.map { $0 / 1_000_000 }
            self.active = key.isActive(at: now)
            self.agent = key.agentID
        }
    }

    /// Creates a key. Bindings must name existing rows (400 otherwise) and agree with each other:
    /// the organisation comes from the team, the team from the project, when not given. A
    /// `viewer` or `team_admin` key needs a team or an organisation to be scoped to.
    func createKey(_ request: Request) async throws -> Response {
        let caller = try self.authenticate(request, .create, .key)
        let input = try await Self.decode(
            CreateKey.self,
            from: request,
            shape: "optional name, org, team, project, user, models, role, tags, expires_in, agent"
        )
        // An agent's key: the agent must be registered, and gives the key its team.
        let agent = try await input.agent.asyncMap { id in
            guard let agent = try await self.stores.agents.agent(id: id) else {
                throw KeelError.invalidRequest("Unknown agent '\(id)'.", param: "agent")
            }
            return agent
        }
        if let agent, let team = agent.teamID, let named = input.team, named != team.rawValue {
            throw KeelError.invalidRequest("Agent '\(agent.id)' belongs to another team.", param: "agent")
        }
        let role: AdminRole
        if let text = input.role {
            guard let value = AdminRole(rawValue: text) else {
                throw KeelError.invalidRequest(
                    "Invalid 'role': one of admin, team_admin, viewer, auditor, none.",
                    param: "role"
                )
            }
            role = value
        } else {
            role = .dataPlane
        }
        for model in input.models ?? [] where self.registry.entries[model] == nil {
            throw KeelError.invalidRequest("Unknown model '\(model)'.", param: "models")
        }
        let tags = try Self.tags(input.tags ?? [:])

        let project = try await input.project.asyncMap { id in
            guard let project = try await self.stores.tenancy.project(id: ProjectID(id)) else {
                throw KeelError.invalidRequest("Unknown project '\(id)'.", param: "project")
            }
            return project
        }
        if let project, let team = input.team, project.teamID.rawValue != team {
            throw KeelError.invalidRequest("Project '\(project.id)' belongs to another team.", param: "project")
        }
        let team = try await self.existingTeam(
            input.team ?? project?.teamID.rawValue ?? agent?.teamID?.rawValue,
            param: "team"
        )
        let organization = try await self.existingOrganization(input.org ?? team?.orgID.rawValue)
        if let team, let organization, team.orgID != organization.id {
            throw KeelError.invalidRequest("Team '\(team.id)' belongs to another org.", param: "team")
        }
        let user = try await input.user.asyncMap { id in
            guard let user = try await self.stores.tenancy.user(id: UserID(id)) else {
                throw KeelError.invalidRequest("Unknown user '\(id)'.", param: "user")
            }
            return user
        }
        if let user, let organization, user.orgID != organization.id {
            throw KeelError.invalidRequest("User '\(user.id)' belongs to another org.", param: "user")
        }
        let orgID = organization?.id ?? user?.orgID
        if role == .viewer || role == .teamAdmin, orgID == nil {
            throw KeelError.invalidRequest(
                "A '\(role.rawValue)' key needs an org or a team to be scoped to.",
                param: "role"
            )
        }
        if role == .teamAdmin, team == nil {
            throw KeelError.invalidRequest("A 'team_admin' key needs a team.", param: "team")
        }

        try self.require(caller, .create, .key, in: AdminScope(orgID: orgID, teamID: team?.id))
        guard AdminAuthorization.mayGrant(caller, role) else {
            throw KeelError.permissionDenied("This key may not create a key with role '\(role.rawValue)'.")
        }

        let now = WallClock.unixMicros()
        var expiresAt: Int64?
        if let text = input.expiresIn {
            guard let seconds = Self.parseDuration(text) else {
                throw KeelError.invalidRequest(
                    "Invalid 'expires_in': use a number with d, h, m or s, like 30d.",
                    param: "expires_in"
                )
            }
            expiresAt = now + seconds * 1_000_000
        }
        let plain = KeyMaterial.generate()
        let key = VirtualKey(
            id: KeyID("key_" + String(KeyMaterial.hash(plain).prefix(16))),
            hash: KeyMaterial.hash(plain),
            prefix: KeyMaterial.displayPrefix(plain),
            name: input.name,
            orgID: orgID,
            teamID: team?.id,
            projectID: project?.id,
            userID: user?.id,
            models: input.models ?? [],
            role: role,
            tags: tags,
            createdAt: now,
            expiresAt: expiresAt,
            agentID: agent?.id
        )
        try await self.stores.keys.insert(key)
        self.keyRing.upsert(key)
        return try Self.encode(KeyView(key, plain: plain, now: now), status: .created)
    }

    /// `GET /admin/v1/keys?org&team&project&user&role`: the keys the caller may read.
    func listKeys(_ request: Request) async throws -> Response {
        let caller = try self.authenticate(request, .read, .key)
        let parameters = request.uri.queryParameters
        let role = try parameters["role"].map { text throws(KeelError) -> AdminRole in
            guard let role = AdminRole(rawValue: String(text)) else {
                throw .invalidRequest("Invalid 'role': one of admin, team_admin, viewer, auditor, none.", param: "role")
            }
            return role
        }
        let now = WallClock.unixMicros()
        var teamOrgs: [TeamID: OrgID?] = [:]
        var visible: [KeyView] = []
        for key in try await self.stores.keys.allKeys() {
            if let org = parameters["org"], key.orgID?.rawValue != String(org) { continue }
            if let team = parameters["team"], key.teamID?.rawValue != String(team) { continue }
            if let project = parameters["project"], key.projectID?.rawValue != String(project) { continue }
            if let user = parameters["user"], key.userID?.rawValue != String(user) { continue }
            if let role, key.role != role { continue }
            let scope = try await self.scope(of: key, teamOrgs: &teamOrgs)
            guard AdminAuthorization.allows(caller, .read, .key, in: scope) else { continue }
            visible.append(KeyView(key, now: now))
        }
        return try Self.encode(["data": visible])
    }

    func getKey(_ request: Request, id: String) async throws -> Response {
        let caller = try self.authenticate(request, .read, .key)
        guard let key = try await self.stores.keys.key(id: KeyID(id)) else {
            throw KeelError.notFound("No key with id '\(id)'.")
        }
        var teamOrgs: [TeamID: OrgID?] = [:]
        try self.require(caller, .read, .key, in: try await self.scope(of: key, teamOrgs: &teamOrgs))
        return try Self.encode(KeyView(key, now: WallClock.unixMicros()))
    }

    func revokeKey(_ request: Request, id: String) async throws -> Response {
        let caller = try self.authenticate(request, .delete, .key)
        guard let existing = try await self.stores.keys.key(id: KeyID(id)) else {
            throw KeelError.notFound("No key with id '\(id)'.")
        }
        var teamOrgs: [TeamID: OrgID?] = [:]
        try self.require(caller, .delete, .key, in: try await self.scope(of: existing, teamOrgs: &teamOrgs))
        // A team admin may not revoke a key it could not have created (an admin key of its team).
        guard AdminAuthorization.mayGrant(caller, existing.role) else {
            throw KeelError.permissionDenied("This key may not revoke a key with role '\(existing.role.rawValue)'.")
        }
        let now = WallClock.unixMicros()
        guard try await self.stores.keys.revoke(id: KeyID(id), at: now),
            let key = try await self.stores.keys.key(id: KeyID(id))
        else {
            throw KeelError.notFound("No key with id '\(id)'.")
        }
        self.keyRing.upsert(key)
        return try Self.encode(KeyView(key, now: now))
    }

    /// `POST /admin/v1/keys/{id}/suspend` and `…/resume`: a suspended key authenticates nothing
    /// until resumed (here at once; on other instances within `server.key_sync_interval_ms`).
    /// Who may revoke a key may suspend it.
    func setKeySuspended(_ request: Request, id: String, suspended: Bool) async throws -> Response {
        let caller = try self.authenticate(request, .update, .key)
        guard let existing = try await self.stores.keys.key(id: KeyID(id)) else {
            throw KeelError.notFound("No key with id '\(id)'.")
        }
        var teamOrgs: [TeamID: OrgID?] = [:]
        try self.require(caller, .update, .key, in: try await self.scope(of: existing, teamOrgs: &teamOrgs))
        guard AdminAuthorization.mayGrant(caller, existing.role) else {
            throw KeelError.permissionDenied("This key may not suspend a key with role '\(existing.role.rawValue)'.")
        }
        let now = WallClock.unixMicros()
        guard
            try await self.stores.keys.setSuspended(id: KeyID(id), at: suspended ? (existing.suspendedAt ?? now) : nil),
            let key = try await self.stores.keys.key(id: KeyID(id))
        else {
            throw KeelError.notFound("No key with id '\(id)'.")
        }
        self.keyRing.upsert(key)
        return try Self.encode(KeyView(key, now: now))
    }

    /// Where `key` lives. A key stored before organisations existed (or bound by free-text team
    /// name) has no org; it takes the org of its team when that team exists. `teamOrgs` caches
    /// the lookups of one call.
    func scope(of key: VirtualKey, teamOrgs: inout [TeamID: OrgID?]) async throws -> AdminScope {
        guard key.orgID == nil, let teamID = key.teamID else { return AdminScope(orgID: key.orgID, teamID: key.teamID) }
        if let cached = teamOrgs[teamID] { return AdminScope(orgID: cached, teamID: teamID) }
        let org = try await self.stores.tenancy.team(id: teamID)?.orgID
        teamOrgs[teamID] = .some(org)
        return AdminScope(orgID: org, teamID: teamID)
    }

    /// Validated tags: at most 32; keys of 1–64 letters, digits, `_`, `-`, `.`, `:`, `/`; values
    /// of at most 256 characters.
    static func tags(_ tags: [String: String]) throws(KeelError) -> [String: String] {
        guard tags.count <= 32 else { throw .invalidRequest("At most 32 'tags'.", param: "tags") }
        for (key, value) in tags {
            let valid =
                (1...64).contains(key.utf8.count)
                && key.utf8.allSatisfy { byte in
                    (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                        || byte == 0x5F || byte == 0x2D || byte == 0x2E || byte == 0x3A || byte == 0x2F
                }
            guard valid, value.count <= 256 else {
                throw .invalidRequest(
                    "Invalid tag '\(key)': keys are 1 to 64 letters, digits, '_-.:/'; values up to 256 characters.",
                    param: "tags"
                )
            }
        }
        return tags
    }

    static func parseDuration(_ text: String) -> Int64? {
        guard let unit = text.last else { return nil }
        let multiplier: Int64
        var digits = Substring(text)
        switch unit {
        case "d": multiplier = 86_400
        case "h": multiplier = 3_600
        case "m": multiplier = 60
        case "s": multiplier = 1
        default: multiplier = 1
        }
        if !unit.isNumber { digits = digits.dropLast() }
        guard let value = Int64(digits), value > 0, value < 100 * 365 * 86_400 else { return nil }
        return value * multiplier
    }
}

extension Optional {
    /// `transform` of the wrapped value, awaited; `nil` stays `nil`.
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async throws -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
