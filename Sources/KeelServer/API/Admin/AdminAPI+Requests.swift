import FoundationEssentials
import Hummingbird
import KeelCore
import KeelStorage

extension AdminAPI {
    /// A request record as the admin API shows it (snake_case, cost also as decimal dollars).
    struct RecordView {
        let record: RequestRecord
    }

    /// `GET /admin/v1/requests?key_id&org&team&project&user&model&provider&tag&agent&task&outcome&status&from&to&limit&cursor`.
    /// `tag` is `key:value` (the first `:` separates them); `agent` and `task` match the
    /// `x-keel-agent` and `x-keel-task` a request carried.
    /// `from`/`to` are Unix seconds; `cursor` is the `next_cursor` of the previous page.
    ///
    /// A scoped caller sees only records of its scope: a team-scoped caller those of its team; an
    /// org-scoped caller those of the org's teams and of keys bound to the org.
    func listRequests(_ request: Request) async throws -> Response {
        let caller = try self.authenticate(request, .read, .requestLog)
        let parameters = request.uri.queryParameters
        var query = RequestRecordQuery()
        query.within = try await self.requestScope(of: caller)
        query.keyID = parameters["key_id"].map { KeyID(String($0)) }
        query.orgID = parameters["org"].map { OrgID(String($0)) }
        query.teamID = parameters["team"].map { TeamID(String($0)) }
        query.tag = try parameters["tag"].map { try Self.tagFilter(String($0)) }
        query.projectID = parameters["project"].map { ProjectID(String($0)) }
        query.userID = parameters["user"].map { UserID(String($0)) }
        query.model = parameters["model"].map(String.init)
        query.provider = parameters["provider"].map(String.init)
        query.agentID = parameters["agent"].map(String.init)
        query.taskID = parameters["task"].map(String.init)
        if let outcome = parameters["outcome"] {
            guard let value = RequestRecord.Outcome(rawValue: String(outcome)) else {
                throw KeelError.invalidRequest(
                    "Invalid 'outcome': one of success, error, interrupted, cancelled.",
                    param: "outcome"
                )
            }
            query.outcome = value
        }
        query.status = try Self.integer(parameters["status"], name: "status")
        query.from = try Self.integer(parameters["from"], name: "from").map { Int64($0) * 1_000_000 }
        query.to = try Self.integer(parameters["to"], name: "to").map { Int64($0) * 1_000_000 }
        let limit = try Self.integer(parameters["limit"], name: "limit") ?? 100
        guard (1...1_000).contains(limit) else {
            throw KeelError.invalidRequest("Invalid 'limit': 1 to 1000.", param: "limit")
        }
        query.limit = limit
        if let cursor = parameters["cursor"] {
            let parts = cursor.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, let startedAt = Int64(parts[0]) else {
                throw KeelError.invalidRequest("Invalid 'cursor'.", param: "cursor")
            }
            query.before = .init(startedAt: startedAt, id: RequestID(String(parts[1])))
        }
        let records = try await self.stores.requests.records(matching: query)
        let next = records.count == limit ? records.last.map { "\($0.startedAt):\($0.id.rawValue)" } : nil
        var body = #"{"data":["#
        for (index, record) in records.enumerated() {
            if index > 0 { body += "," }
            RecordView(record: record).json(into: &body)
        }
        body += #"],"next_cursor":"# + (next.map(JSONWriter.quoted) ?? "null") + "}"
        return Gateway.json(body)
    }

    /// A `tag` parameter, `key:value`, split at its first `:`.
    static func tagFilter(_ text: String) throws -> RequestRecordQuery.Tag {
        guard let colon = text.firstIndex(of: ":"), colon != text.startIndex, text.index(after: colon) != text.endIndex
        else {
            throw KeelError.invalidRequest("Invalid 'tag': key:value.", param: "tag")
        }
        return RequestRecordQuery.Tag(key: String(text[..<colon]), value: String(text[text.index(after: colon)...]))
    }

    /// The teams and keys whose records `caller` may read; `nil` for all of them.
    func requestScope(of caller: AdminCaller) async throws -> RequestRecordQuery.Scope? {
        switch AdminAuthorization.listScope(caller) {
        case .everything:
            return nil
        case .nothing:
            return RequestRecordQuery.Scope()
        case .within(let scope):
            if let team = scope.teamID { return RequestRecordQuery.Scope(teamIDs: [team]) }
            guard let org = scope.orgID else { return RequestRecordQuery.Scope() }
            var teams: Set<TeamID> = []
            var after: String?
            repeat {
                let page = try await self.stores.tenancy.teams(
                    matching: TenancyQuery(orgIDs: [org], after: after, limit: 1_000)
                )
                teams.formUnion(page.map(\.id))
                after = page.count == 1_000 ? page.last?.id.rawValue : nil
            } while after != nil
            let keys = try await self.stores.keys.allKeys().filter { $0.orgID == org }.map(\.id)
            return RequestRecordQuery.Scope(teamIDs: teams, keyIDs: Set(keys))
        }
    }
}
