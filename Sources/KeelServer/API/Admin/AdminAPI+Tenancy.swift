import Hummingbird
import KeelCore
import KeelStorage

// `/admin/v1/orgs|teams|projects|users`: create, list (filters and cursor), get, patch, delete,
// written once for every ``TenancyCollection``. Deleting a row that others still refer to is
// refused with 409 (see `TenancyStore`).
extension AdminAPI {
    func create<Record, Input>(
        _ collection: TenancyCollection<Record, Input>,
        _ request: Request
    ) async throws -> Response {
        let caller = try self.authenticate(request, .create, collection.resource)
        let input = try await Self.decode(Input.self, from: request, shape: collection.shape)
        let (scope, make) = try await collection.prepare(self, input)
        try self.require(caller, .create, collection.resource, in: scope)
        let record = try make(WallClock.unixMicros())
        try await collection.insert(self.stores.tenancy, record)
        return try Self.encode(TenancyView(record, in: collection), status: .created)
    }

    func list<Record, Input>(
        _ collection: TenancyCollection<Record, Input>,
        _ request: Request
    ) async throws -> Response {
        let caller = try self.authenticate(request, .read, collection.resource)
        let parameters = request.uri.queryParameters
        let org = collection.listFilters.contains(.org) ? parameters["org"].map { OrgID(String($0)) } : nil
        let team = collection.listFilters.contains(.team) ? parameters["team"].map { TeamID(String($0)) } : nil
        guard let query = try self.scopedQuery(caller, collection.resource, org: org, team: team, request: request)
        else {
            return try Self.encode(ListPage<TenancyView>(data: [], nextCursor: nil))
        }
        let rows = try await collection.list(self.stores.tenancy, query)
        return try Self.encode(
            ListPage(
                data: rows.map { TenancyView($0, in: collection) },
                nextCursor: Self.nextCursor(rows.map(\.id.rawValue), limit: query.limit)
            )
        )
    }

    func get<Record, Input>(
        _ collection: TenancyCollection<Record, Input>,
        _ request: Request,
        id: String
    ) async throws -> Response {
        let record = try await self.authorized(.read, collection, request, id: id)
        return try Self.encode(TenancyView(record, in: collection))
    }

    /// A rename (`{"name"}`), or the collection's own ``TenancyCollection/patch``.
    func update<Record, Input>(
        _ collection: TenancyCollection<Record, Input>,
        _ request: Request,
        id: String
    ) async throws -> Response {
        if let patch = collection.patch { return try await patch(self, request, id) }
        var record = try await self.authorized(.update, collection, request, id: id)
        let input = try await Self.decode(Rename.self, from: request, shape: "name")
        record.name = try Self.name(input.name)
        return try await self.save(record, in: collection, id: id)
    }

    func delete<Record, Input>(
        _ collection: TenancyCollection<Record, Input>,
        _ request: Request,
        id: String
    ) async throws -> Response {
        let record = try await self.authorized(.delete, collection, request, id: id)
        guard try await collection.delete(self.stores.tenancy, record) else { throw collection.notFound(id) }
        return try Self.encode(Deleted(id: id, object: collection.object))
    }

    /// Stores a changed `record` with a new `updatedAt` and answers it; 404 when it is gone.
    func save<Record, Input>(
        _ record: Record,
        in collection: TenancyCollection<Record, Input>,
        id: String
    ) async throws -> Response {
        var record = record
        record.updatedAt = WallClock.unixMicros()
        guard try await collection.update(self.stores.tenancy, record) else { throw collection.notFound(id) }
        return try Self.encode(TenancyView(record, in: collection))
    }

    /// The record `id` of a path (404 when there is none), once the caller may do `operation` on it.
    func authorized<Record, Input>(
        _ operation: AdminOperation,
        _ collection: TenancyCollection<Record, Input>,
        _ request: Request,
        id: String
    ) async throws -> Record {
        let caller = try self.authenticate(request, operation, collection.resource)
        let record = try await self.stored(collection, id: id)
        try self.require(caller, operation, collection.resource, in: try await collection.scope(self, record))
        return record
    }

    /// The record `id` of a path, or 404.
    func stored<Record, Input>(_ collection: TenancyCollection<Record, Input>, id: String) async throws -> Record {
        guard let record = try await collection.fetch(self.stores.tenancy, id) else { throw collection.notFound(id) }
        return record
    }

    /// The record `id` named in a body's `param`, or 400; `nil` when the body names none.
    func existing<Record, Input>(
        _ collection: TenancyCollection<Record, Input>,
        _ id: String?,
        param: String
    ) async throws -> Record? {
        guard let id else { return nil }
        guard let record = try await collection.fetch(self.stores.tenancy, id) else {
            throw KeelError.invalidRequest("Unknown \(collection.noun) '\(id)'.", param: param)
        }
        return record
    }

    /// An existing team named in a body, or 400.
    func existingTeam(_ id: String?, param: String) async throws -> Team? {
        try await self.existing(Self.teams, id, param: param)
    }

    /// An existing organisation named in a body, or 400.
    func existingOrganization(_ id: String?, param: String = "org") async throws -> Organization? {
        try await self.existing(Self.organizations, id, param: param)
    }

    /// The store query of a list: the caller's filters narrowed to what it may read; `nil` when
    /// it may read none of them.
    func scopedQuery(
        _ caller: AdminCaller,
        _ resource: AdminResource,
        org: OrgID?,
        team: TeamID?,
        request: Request
    ) throws(KeelError) -> TenancyQuery? {
        let page = try Self.page(request)
        var query = TenancyQuery(after: page.cursor, limit: page.limit)
        if let org { query.orgIDs = [org] }
        if let team { query.teamIDs = [team] }
        switch AdminAuthorization.listScope(caller) {
        case .everything:
            return query
        case .nothing:
            return nil
        case .within(let scope):
            if let scopeTeam = scope.teamID {
                // An organisation is never inside a team's scope.
                guard resource != .organization else { return nil }
                query.teamIDs = (query.teamIDs ?? [scopeTeam]).intersection([scopeTeam])
            } else if let scopeOrg = scope.orgID {
                query.orgIDs = (query.orgIDs ?? [scopeOrg]).intersection([scopeOrg])
            }
            return query
        }
    }

    static func nextCursor(_ ids: [String], limit: Int) -> String? {
        ids.count == limit ? ids.last : nil
    }

    /// The body of a rename.
    struct Rename: Decodable {
        var name: String?
    }
}
