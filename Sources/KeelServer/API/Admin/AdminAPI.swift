import FoundationEssentials
import HTTPTypes
import Hummingbird
import KeelCore
import KeelStorage
import NIOCore

/// `/admin/v1`: keys and the request log, behind the admin key.
///
/// The CLI uses these routes too, so every change is validated in one place.
struct AdminAPI: Sendable {
    let keyRing: KeyRing
    let stores: KeelStores
    let registry: ModelRegistry

    func authorize(_ request: Request) throws(KeelError) {
        guard let key = Gateway.presentedKey(request) else {
            throw .unauthenticated("The admin API needs the admin key as 'Authorization: Bearer <key>'.")
        }
        guard self.keyRing.isAdmin(key) else {
            throw .permissionDenied("This key may not use the admin API.")
        }
    }

    // MARK: Keys

    struct CreateKey: Decodable {
        var name: String?
        var team: String?
        var project: String?
        var user: String?
        var models: [String]?
        /// `30d`, `12h`, `45m` or seconds.
        var expiresIn: String?

        enum CodingKeys: String, CodingKey {
            case name, team, project, user, models
            case expiresIn = "expires_in"
        }
    }

    struct KeyView: Encodable {
        var id: String
        var key: String?
        var keyPrefix: String
        var name: String?
        var team: String?
        var project: String?
        var user: String?
        var models: [String]
        var createdAt: Int64
        var expiresAt: Int64?
        var revokedAt: Int64?
        var active: Bool

        enum CodingKeys: String, CodingKey {
            case id, key, name, team, project, user, models, active
            case keyPrefix = "key_prefix"
            case createdAt = "created_at"
            case expiresAt = "expires_at"
            case revokedAt = "revoked_at"
        }

        init(_ key: VirtualKey, plain: String? = nil, now: Int64) {
            self.id = key.id.rawValue
            self.key = plain
            self.keyPrefix = key.prefix
            self.name = key.name
            self.team = key.teamID?.rawValue
            self.project = key.projectID?.rawValue
            self.user = key.userID?.rawValue
            self.models = key.models
            // Seconds since the epoch, as OpenAI-style APIs report times.
            self.createdAt = key.createdAt / 1_000_000
            self.expiresAt = key.expiresAt.map { $0 / 1_000_000 }
            self.revokedAt = key.revokedAt.map { $0 / 1_000_000 }
            self.active = key.isActive(at: now)
        }
    }

    func createKey(_ request: Request) async throws -> Response {
        try self.authorize(request)
        let body = try await request.body.collect(upTo: 64 << 10)
        let input: CreateKey
        do {
            input = try JSONDecoder().decode(CreateKey.self, from: Data(body.readableBytesView))
        } catch {
            throw KeelError.invalidRequest("The body must be a JSON object with optional name, team, project, user, models, expires_in.")
        }
        for model in input.models ?? [] where self.registry.entries[model] == nil {
            throw KeelError.invalidRequest("Unknown model '\(model)'.", param: "models")
        }
        let now = WallClock.unixMicros()
        var expiresAt: Int64?
        if let text = input.expiresIn {
            guard let seconds = Self.parseDuration(text) else {
                throw KeelError.invalidRequest("Invalid 'expires_in': use a number with d, h, m or s, like 30d.", param: "expires_in")
            }
            expiresAt = now + seconds * 1_000_000
        }
        let plain = KeyMaterial.generate()
        let key = VirtualKey(
            id: KeyID("key_" + String(KeyMaterial.hash(plain).prefix(16))),
            hash: KeyMaterial.hash(plain),
            prefix: KeyMaterial.displayPrefix(plain),
            name: input.name,
            teamID: input.team.map { TeamID($0) },
            projectID: input.project.map { ProjectID($0) },
            userID: input.user.map { UserID($0) },
            models: input.models ?? [],
            createdAt: now,
            expiresAt: expiresAt
        )
        try await self.stores.keys.insert(key)
        self.keyRing.upsert(key)
        return try Self.encode(KeyView(key, plain: plain, now: now), status: .created)
    }

    func listKeys(_ request: Request) async throws -> Response {
        try self.authorize(request)
        let now = WallClock.unixMicros()
        let keys = try await self.stores.keys.allKeys().map { KeyView($0, now: now) }
        return try Self.encode(["data": keys])
    }

    func getKey(_ request: Request, id: String) async throws -> Response {
        try self.authorize(request)
        guard let key = try await self.stores.keys.key(id: KeyID(id)) else { throw KeelError.notFound("No key with id '\(id)'.") }
        return try Self.encode(KeyView(key, now: WallClock.unixMicros()))
    }

    func revokeKey(_ request: Request, id: String) async throws -> Response {
        try self.authorize(request)
        let now = WallClock.unixMicros()
        guard try await self.stores.keys.revoke(id: KeyID(id), at: now), let key = try await self.stores.keys.key(id: KeyID(id)) else {
            throw KeelError.notFound("No key with id '\(id)'.")
        }
        self.keyRing.upsert(key)
        return try Self.encode(KeyView(key, now: now))
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

    static func encode(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(value)
        return Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
