import FoundationEssentials
import Hummingbird
import KeelCore
import KeelStorage

// `/admin/v1/rate-limits`: create, list, get, update (limits and window) and delete the rules
// stored in the database; the configuration's rules are listed too, read-only.
//
// A rule that names a key is a ``AdminResource/keyRateLimit`` and lives where the key lives, so
// a team admin manages its team's keys' limits; any other rule (a team's, a model's) is a
// ``AdminResource/rateLimit``, which only an admin changes. Every change reloads the data
// plane's snapshot at once here; other instances reload it within `rate_limiting.sync_interval_ms`.
extension AdminAPI {
    struct RateLimitInput: Decodable {
        var id: String?
        var key: String?
        var team: String?
        var model: String?
        var rpm: Int?
        var tpm: Int?
        var maxConcurrent: Int?
        var windowSeconds: Int?

        enum CodingKeys: String, CodingKey {
            case id, key, team, model, rpm, tpm
            case maxConcurrent = "max_concurrent"
            case windowSeconds = "window_seconds"
        }
    }

    /// The body of a PATCH: limits and window only; a JSON `null` removes a limit.
    struct RateLimitPatch: Decodable {
        var rpm: Int??
        var tpm: Int??
        var maxConcurrent: Int??
        var windowSeconds: Int?

        enum CodingKeys: String, CodingKey {
            case rpm, tpm
            case maxConcurrent = "max_concurrent"
            case windowSeconds = "window_seconds"
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            func field(_ key: CodingKeys) throws -> Int?? {
                guard container.contains(key) else { return nil }
                return .some(try container.decodeNil(forKey: key) ? nil : try container.decode(Int.self, forKey: key))
            }
            self.rpm = try field(.rpm)
            self.tpm = try field(.tpm)
            self.maxConcurrent = try field(.maxConcurrent)
            self.windowSeconds = try container.decodeIfPresent(Int.self, forKey: .windowSeconds)
        }
    }

    struct RateLimitView: Encodable {
        var id: String
        var object = "rate_limit"
        var key: String?
        var team: String?
        var model: String?
        var rpm: Int?
        var tpm: Int?
        var maxConcurrent: Int?
        var windowSeconds: Int
        /// `config` (read-only) or `api`.
        var source: String
        var createdAt: Int64?

        enum CodingKeys: String, CodingKey {
            case id, object, key, team, model, rpm, tpm, source
            case maxConcurrent = "max_concurrent"
            case windowSeconds = "window_seconds"
            case createdAt = "created_at"
        }

        init(_ rule: RateLimitRule, configured: Bool) {
            self.id = rule.id
            self.key = rule.keyID?.rawValue
            self.team = rule.teamID?.rawValue
            self.model = rule.model
            self.rpm = rule.requestsPerWindow
            self.tpm = rule.tokensPerWindow
            self.maxConcurrent = rule.maxConcurrent
            self.windowSeconds = rule.windowSeconds
            self.source = configured ? "config" : "api"
            self.createdAt = configured ? nil : rule.createdAt / 1_000_000
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(self.id, forKey: .id)
            try container.encode(self.object, forKey: .object)
            try container.encode(self.key, forKey: .key)
            try container.encode(self.team, forKey: .team)
            try container.encode(self.model, forKey: .model)
            try container.encode(self.rpm, forKey: .rpm)
            try container.encode(self.tpm, forKey: .tpm)
            try container.encode(self.maxConcurrent, forKey: .maxConcurrent)
            try container.encode(self.windowSeconds, forKey: .windowSeconds)
            try container.encode(self.source, forKey: .source)
            try container.encode(self.createdAt, forKey: .createdAt)
        }
    }

    /// The resource kind of `rule`: a key's limit, or a team's or model's.
    static func resource(of rule: RateLimitRule) -> AdminResource {
        rule.keyID == nil ? .rateLimit : .keyRateLimit
    }

    /// Where `rule` lives: its key's place, else its team's, else nowhere (admins and auditors
    /// only). A key or team the database does not know (a static key of the file, a team named
    /// by free text) gives the place it can: the team alone, or nowhere.
    func scope(of rule: RateLimitRule, keys: [KeyID: VirtualKey]? = nil) async throws -> AdminScope {
        var teamOrgs: [TeamID: OrgID?] = [:]
        if let keyID = rule.keyID {
            let key: VirtualKey?
            if let keys { key = keys[keyID] } else { key = try await self.stores.keys.key(id: keyID) }
            guard let key else { return AdminScope() }
            return try await self.scope(of: key, teamOrgs: &teamOrgs)
        }
        if let teamID = rule.teamID {
            let org = try await self.stores.tenancy.team(id: teamID)?.orgID
            return AdminScope(orgID: org, teamID: teamID)
        }
        return AdminScope()
    }

    func createRateLimit(_ request: Request, limiter: RateLimiter) async throws -> Response {
        let caller = try self.authenticate(request, .create, .keyRateLimit)
        let input = try await Self.decode(
            RateLimitInput.self,
            from: request,
            shape: "optional id, key, team, model, rpm, tpm, max_concurrent, window_seconds"
        )
        let id = try Self.newID(input.id, prefix: "rl_")
        if limiter.configuredRules.contains(where: { $0.id == id }) {
            throw AdminConflict(message: "The rate limit '\(id)' is defined in the configuration file.")
        }
        let rule = RateLimitRule(
            id: id,
            keyID: input.key.map { KeyID($0) },
            teamID: input.team.map { TeamID($0) },
            model: input.model,
            requestsPerWindow: input.rpm,
            tokensPerWindow: input.tpm,
            maxConcurrent: input.maxConcurrent,
            windowSeconds: input.windowSeconds ?? 60,
            createdAt: WallClock.unixMicros()
        )
        try self.validate(rule)
        if let keyID = rule.keyID {
            guard let key = try await self.stores.keys.key(id: keyID) else {
                throw KeelError.invalidRequest("Unknown key '\(keyID)'.", param: "key")
            }
            if let team = rule.teamID, key.teamID != team {
                throw KeelError.invalidRequest("Key '\(keyID)' belongs to another team.", param: "team")
            }
        }
        try self.require(caller, .create, Self.resource(of: rule), in: try await self.scope(of: rule))
        try await self.stores.rateLimits.insert(rule)
        try await limiter.reload()
        return try Self.encode(RateLimitView(rule, configured: false), status: .created)
    }

    /// `GET /admin/v1/rate-limits?key&team&model`: the rules the caller may read, the
    /// configuration's first.
    func listRateLimits(_ request: Request, limiter: RateLimiter) async throws -> Response {
        let caller = try self.authenticate(request, .read, .rateLimit)
        let parameters = request.uri.queryParameters
        let stored = try await self.stores.rateLimits.rules()
        let configured = limiter.configuredRules
        let all = configured.map { ($0, true) } + stored.map { ($0, false) }
        let keys = all.contains { $0.0.keyID != nil }
            ? Dictionary(try await self.stores.keys.allKeys().map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            : [:]
        var visible: [RateLimitView] = []
        for (rule, isConfigured) in all {
            if let key = parameters["key"], rule.keyID?.rawValue != String(key) { continue }
            if let team = parameters["team"], rule.teamID?.rawValue != String(team) { continue }
            if let model = parameters["model"], rule.model != String(model) { continue }
            let scope = try await self.scope(of: rule, keys: keys)
            guard AdminAuthorization.allows(caller, .read, Self.resource(of: rule), in: scope) else { continue }
            visible.append(RateLimitView(rule, configured: isConfigured))
        }
        return try Self.encode(["data": visible])
    }

    func getRateLimit(_ request: Request, id: String, limiter: RateLimiter) async throws -> Response {
        let caller = try self.authenticate(request, .read, .rateLimit)
        let (rule, configured) = try await self.rateLimit(id, limiter: limiter)
        try self.require(caller, .read, Self.resource(of: rule), in: try await self.scope(of: rule))
        return try Self.encode(RateLimitView(rule, configured: configured))
    }

    func updateRateLimit(_ request: Request, id: String, limiter: RateLimiter) async throws -> Response {
        let caller = try self.authenticate(request, .update, .keyRateLimit)
        var (rule, configured) = try await self.rateLimit(id, limiter: limiter)
        try self.require(caller, .update, Self.resource(of: rule), in: try await self.scope(of: rule))
        if configured {
            throw AdminConflict(message: "The rate limit '\(id)' is defined in the configuration file; change it there.")
        }
        let patch = try await Self.decode(RateLimitPatch.self, from: request, shape: "optional rpm, tpm, max_concurrent, window_seconds")
        if let rpm = patch.rpm { rule.requestsPerWindow = rpm }
        if let tpm = patch.tpm { rule.tokensPerWindow = tpm }
        if let concurrent = patch.maxConcurrent { rule.maxConcurrent = concurrent }
        if let window = patch.windowSeconds { rule.windowSeconds = window }
        try self.validate(rule)
        guard try await self.stores.rateLimits.update(rule) else {
            throw KeelError.notFound("No rate limit with id '\(id)'.")
        }
        try await limiter.reload()
        return try Self.encode(RateLimitView(rule, configured: false))
    }

    func deleteRateLimit(_ request: Request, id: String, limiter: RateLimiter) async throws -> Response {
        let caller = try self.authenticate(request, .delete, .keyRateLimit)
        let (rule, configured) = try await self.rateLimit(id, limiter: limiter)
        try self.require(caller, .delete, Self.resource(of: rule), in: try await self.scope(of: rule))
        if configured {
            throw AdminConflict(message: "The rate limit '\(id)' is defined in the configuration file; remove it there.")
        }
        guard try await self.stores.rateLimits.delete(id: id) else {
            throw KeelError.notFound("No rate limit with id '\(id)'.")
        }
        try await limiter.reload()
        return try Self.encode(Deleted(id: id, object: "rate_limit"))
    }

    /// The rule `id`, from the configuration or the database; 404 when neither has it.
    private func rateLimit(_ id: String, limiter: RateLimiter) async throws -> (RateLimitRule, Bool) {
        if let rule = limiter.configuredRules.first(where: { $0.id == id }) { return (rule, true) }
        if let rule = try await self.stores.rateLimits.rules().first(where: { $0.id == id }) { return (rule, false) }
        throw KeelError.notFound("No rate limit with id '\(id)'.")
    }

    private func validate(_ rule: RateLimitRule) throws(KeelError) {
        if let problem = rule.problem { throw .invalidRequest("Invalid rate limit: it \(problem).") }
        if let model = rule.model, self.registry.entries[model] == nil {
            throw .invalidRequest("Unknown model '\(model)'.", param: "model")
        }
    }
}
