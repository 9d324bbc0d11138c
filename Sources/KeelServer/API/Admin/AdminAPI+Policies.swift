import Hummingbird
import KeelCore
import KeelStorage
import NIOCore

// `/admin/v1/policies`: create, list, get, replace (PUT), change (PATCH) and delete the
// compliance policies stored in the database; the configuration's policies are listed too,
// read-only.
//
// A policy's body is the JSON form of an entry of the configuration's `policies:` (the same keys,
// checked the same way, errors named by key path). Only admins change policies; every role that
// reads reads those in its scope. Every change reloads the data plane's policies at once here;
// other instances reload them within `compliance.policy_sync_interval_ms`. Every change is an
// `admin_change` entry of the audit log with its body (AdminChangeAuditMiddleware), which the
// evidence pack lists as the policies' change history.
extension AdminAPI {
    /// The answer for one policy: `id`, `object`, `source` (`config` or `api`), `created_at` and
    /// `updated_at` (Unix seconds; `null` for the configuration's), then its rules.
    static func policyView(_ policy: Policy, stored: StoredPolicy?) -> String {
        var head = [
            #""id":"# + JSONWriter.quoted(policy.id), #""object":"policy""#,
            #""source":"# + (stored == nil ? #""config""# : #""api""#),
        ]
        head.append(#""created_at":"# + (stored.map { String($0.createdAt / 1_000_000) } ?? "null"))
        head.append(#""updated_at":"# + (stored.map { String($0.updatedAt / 1_000_000) } ?? "null"))
        return "{" + (head + policy.jsonMembers).joined(separator: ",") + "}"
    }

    /// Where `policy` lives, for the readers bound to an organisation or a team.
    static func scope(of policy: Policy) -> AdminScope {
        AdminScope(orgID: policy.scope.org, teamID: policy.scope.team)
    }

    func createPolicy(_ request: Request, book: PolicyBook) async throws -> Response {
        let caller = try self.authenticate(request, .create, .policy)
        let document = try await Self.policyDocument(from: request)
        let chosenID: String? =
            switch document["id"] {
            case .string(let id)?: id
            case nil, .null?: nil
            default: throw KeelError.invalidRequest("Invalid 'id': expected a string.", param: "id")
            }
        let id = try Self.newID(chosenID, prefix: "pol_")
        let policy = try self.readPolicy(document, id: id, book: book)
        try self.require(caller, .create, .policy, in: Self.scope(of: policy))
        if book.configured.contains(where: { $0.id == id }) {
            throw AdminConflict(message: "The policy '\(id)' is defined in the configuration file.")
        }
        let now = WallClock.unixMicros()
        let stored = StoredPolicy(
            id: id,
            document: "{" + policy.jsonMembers.joined(separator: ",") + "}",
            createdAt: now,
            updatedAt: now
        )
        try await self.stores.policies.insert(stored)
        try await book.reload()
        return Gateway.json(Self.policyView(policy, stored: stored), status: .created)
    }

    /// `GET /admin/v1/policies?org=&team=&source=`: the policies the caller may read, the
    /// configuration's first.
    func listPolicies(_ request: Request, book: PolicyBook) async throws -> Response {
        let caller = try self.authenticate(request, .read, .policy)
        let parameters = request.uri.queryParameters
        try await book.reload()
        let all: [(Policy, StoredPolicy?)] = book.configured.map { ($0, nil) } + book.stored.map { ($0.policy, $0.row) }
        var items: [String] = []
        for (policy, stored) in all {
            if let org = parameters["org"], policy.scope.org?.rawValue != String(org) { continue }
            if let team = parameters["team"], policy.scope.team?.rawValue != String(team) { continue }
            if let source = parameters["source"], source != (stored == nil ? "config" : "api") { continue }
            guard AdminAuthorization.allows(caller, .read, .policy, in: Self.scope(of: policy)) else { continue }
            items.append(Self.policyView(policy, stored: stored))
        }
        return Gateway.json(#"{"data":["# + items.joined(separator: ",") + "]}")
    }

    func getPolicy(_ request: Request, id: String, book: PolicyBook) async throws -> Response {
        let caller = try self.authenticate(request, .read, .policy)
        let (policy, stored) = try await self.policy(id, book: book)
        try self.require(caller, .read, .policy, in: Self.scope(of: policy))
        return Gateway.json(Self.policyView(policy, stored: stored))
    }

    /// `PUT` replaces the policy's rules with the body's; `PATCH` changes the top-level keys the
    /// body names (`null` removes one) and keeps the others.
    func updatePolicy(_ request: Request, id: String, replace: Bool, book: PolicyBook) async throws -> Response {
        let caller = try self.authenticate(request, .update, .policy)
        let (old, stored) = try await self.policy(id, book: book)
        try self.require(caller, .update, .policy, in: Self.scope(of: old))
        guard var stored else {
            throw AdminConflict(message: "The policy '\(id)' is defined in the configuration file; change it there.")
        }
        let body = try await Self.policyDocument(from: request)
        if let bodyID = body["id"], bodyID != .string(id) {
            throw KeelError.invalidRequest("A policy's 'id' cannot change.", param: "id")
        }
        var document = body
        if !replace, case .object(let patch) = body,
            case .object(var members)? = try? JSONValue(parsing: stored.document)
        {
            for change in patch {
                members.removeAll { $0.key == change.key }
                if change.value != .null { members.append(change) }
            }
            document = .object(members)
        }
        let policy = try self.readPolicy(document, id: id, book: book)
        // A change may not move the policy out of the caller's reach either.
        try self.require(caller, .update, .policy, in: Self.scope(of: policy))
        stored.document = "{" + policy.jsonMembers.joined(separator: ",") + "}"
        stored.updatedAt = max(WallClock.unixMicros(), stored.createdAt)
        guard try await self.stores.policies.update(stored) else {
            throw KeelError.notFound("No policy with id '\(id)'.")
        }
        try await book.reload()
        return Gateway.json(Self.policyView(policy, stored: stored))
    }

    func deletePolicy(_ request: Request, id: String, book: PolicyBook) async throws -> Response {
        let caller = try self.authenticate(request, .delete, .policy)
        let (policy, stored) = try await self.policy(id, book: book)
        try self.require(caller, .delete, .policy, in: Self.scope(of: policy))
        guard stored != nil else {
            throw AdminConflict(message: "The policy '\(id)' is defined in the configuration file; remove it there.")
        }
        guard try await self.stores.policies.delete(id: id) else {
            throw KeelError.notFound("No policy with id '\(id)'.")
        }
        try await book.reload()
        return try Self.encode(Deleted(id: id, object: "policy"))
    }

    /// The policy `id`, from the configuration or the database (read again); 404 when neither
    /// has it.
    private func policy(_ id: String, book: PolicyBook) async throws -> (Policy, StoredPolicy?) {
        if let policy = book.configured.first(where: { $0.id == id }) { return (policy, nil) }
        try await book.reload()
        if let stored = book.stored.first(where: { $0.row.id == id }) { return (stored.policy, stored.row) }
        throw KeelError.notFound("No policy with id '\(id)'.")
    }

    /// The request's body as a JSON object (400 otherwise).
    private static func policyDocument(from request: Request) async throws -> JSONValue {
        let body = try await request.body.collect(upTo: 64 << 10)
        guard let value = try? JSONValue(parsing: body), case .object = value else {
            throw KeelError.invalidRequest(
                "The body must be a JSON object: a policy with the keys of the configuration's policies[] entries "
                    + "(id, name, scope, models, providers, regions, baa_required, pii, secrets, injection)."
            )
        }
        return value
    }

    /// `document` read as a policy named `id`, checked as the configuration's are (400 naming
    /// every problem by key path).
    private func readPolicy(_ document: JSONValue, id: String, book: PolicyBook) throws(KeelError) -> Policy {
        do {
            let policy = try KeelConfiguration.policy(
                json: document.jsonText,
                defaultID: id,
                providerNames: book.providerNames
            )
            return PolicyBook.withID(policy, id)
        } catch {
            let problems = error.issues.map { $0.key == "(root)" ? $0.reason : "\($0.key): \($0.reason)" }
            throw .invalidRequest("Invalid policy: " + problems.joined(separator: "; ") + ".")
        }
    }
}
