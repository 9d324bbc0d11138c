import Hummingbird
import KeelCore
import KeelStorage

/// One collection of the tenancy tree on the admin API (`/admin/v1/orgs`, `teams`, `projects`,
/// `users`): what differs between organisations, teams, projects and users. The handlers that
/// serve every collection are written once, in `AdminAPI+Tenancy.swift`; the four collections
/// are in `AdminAPI+TenancyCollections.swift`.
struct TenancyCollection<Record: TenancyObject, Input: Decodable & Sendable>: Sendable {
    /// What authorization rules apply to.
    let resource: AdminResource
    /// The kind in messages: `No team with id '…'.`, `Unknown team '…'.`.
    let noun: String
    /// The `object` of a DELETE's answer.
    let object: String
    /// What a create's body holds, for the error of one that is not that.
    let shape: String
    /// The list query parameters that filter (`org`, `team`); any other is ignored.
    let listFilters: Set<TenancyListFilter>
    /// A create's checks that come before the caller's scope is known (the parents it names
    /// must exist, and the new id when the scope includes it): the scope the caller must be
    /// allowed to create in, and the record, made once that is allowed (its other values are
    /// checked then) with its creation time.
    let prepare: @Sendable (AdminAPI, Input) async throws -> (AdminScope, @Sendable (Int64) throws -> Record)
    /// The scope a stored record lives in.
    let scope: @Sendable (AdminAPI, Record) async throws -> AdminScope
    /// The JSON fields of a record besides `id`, `name` and its times.
    let fields: @Sendable (Record) -> [(TenancyView.Field, String?)]
    /// A PATCH other than a rename, or `nil` when its body is `{"name"}`.
    let patch: (@Sendable (AdminAPI, Request, String) async throws -> Response)?

    let fetch: @Sendable (any TenancyStore, String) async throws -> Record?
    let list: @Sendable (any TenancyStore, TenancyQuery) async throws -> [Record]
    let insert: @Sendable (any TenancyStore, Record) async throws -> Void
    let update: @Sendable (any TenancyStore, Record) async throws -> Bool
    let delete: @Sendable (any TenancyStore, Record) async throws -> Bool

    /// 404 for an id that names no record.
    func notFound(_ id: String) -> KeelError {
        .notFound("No \(self.noun) with id '\(id)'.")
    }
}

/// A list filter of the admin API: `?org=` or `?team=`.
enum TenancyListFilter: Sendable, Hashable {
    case org, team
}

/// What every object of the tenancy tree has: an id, a name, and its times (microseconds since
/// the epoch).
protocol TenancyObject: Sendable {
    associatedtype Tag
    var id: Identifier<Tag> { get }
    var name: String { get set }
    var createdAt: Int64 { get }
    var updatedAt: Int64 { get set }
}

extension Organization: TenancyObject {}
extension Team: TenancyObject {}
extension Project: TenancyObject {}
extension User: TenancyObject {}

/// An object of the tenancy tree as the admin API answers it: `id`, `name`, its collection's
/// fields (`null` when unset), and its times in seconds since the epoch, as the rest of the
/// admin API reports them.
struct TenancyView: Encodable {
    enum Field: String, CodingKey {
        case id, name, org, team, email
        case defaultTeam = "default_team"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    let fields: [(Field, String?)]
    let createdAt: Int64
    let updatedAt: Int64

    init<Record, Input>(_ record: Record, in collection: TenancyCollection<Record, Input>) {
        self.fields = [(.id, record.id.rawValue), (.name, record.name)] + collection.fields(record)
        self.createdAt = record.createdAt / 1_000_000
        self.updatedAt = record.updatedAt / 1_000_000
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Field.self)
        for (field, value) in self.fields {
            try container.encode(value, forKey: field)
        }
        try container.encode(self.createdAt, forKey: .createdAt)
        try container.encode(self.updatedAt, forKey: .updatedAt)
    }
}
