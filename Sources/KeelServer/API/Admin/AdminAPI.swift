import FoundationEssentials
import HTTPTypes
import Hummingbird
import KeelCore
import KeelStorage
import NIOCore

/// `/admin/v1`: the tenancy tree (organisations, teams, projects, users), keys and the request
/// log, behind the admin key or a virtual key with an admin role.
///
/// The CLI uses these routes too, so every change is validated in one place. Every route first
/// authenticates the caller (401 without an active key, 403 for a key without a role), then asks
/// ``AdminAuthorization`` about each object it reads or changes (403 outside the caller's
/// scope). Errors use the OpenAI error shape; a taken id or name and the deletion of a row that
/// others still refer to are 409.
struct AdminAPI: Sendable {
    let keyRing: KeyRing
    let stores: KeelStores
    let registry: ModelRegistry
    /// Prices for cost recommendations: the catalog with the configuration's overrides.
    var prices = PriceCatalog.builtIn()
    /// The data plane's budgets, reloaded at once when a budget changes here.
    var budgets: BudgetLimit?
    /// Every content detector on, with the configured injection threshold
    /// (`POST /admin/v1/guard/scan`).
    var contentScanner = ContentScanner()

    /// The caller of `request`, refused when it may not use the admin API at all.
    func authenticate(_ request: Request) throws(KeelError) -> AdminCaller {
        guard let key = Gateway.presentedKey(request) else {
            throw .unauthenticated("The admin API needs an admin key as 'Authorization: Bearer <key>'.")
        }
        guard let caller = self.keyRing.adminCaller(key, now: WallClock.unixMicros()) else {
            throw .unauthenticated("Incorrect API key provided.")
        }
        guard caller.role != .dataPlane else {
            throw .permissionDenied("This key may not use the admin API.")
        }
        return caller
    }

    /// The caller of `request` when it may do `operation` on some `resource` (403 otherwise).
    func authenticate(
        _ request: Request,
        _ operation: AdminOperation,
        _ resource: AdminResource
    ) throws(KeelError) -> AdminCaller {
        let caller = try self.authenticate(request)
        guard AdminAuthorization.mayEver(caller, operation, resource) else {
            throw Self.denied(operation, resource)
        }
        return caller
    }

    /// Refuses unless `caller` may do `operation` on the `resource` in `target`.
    func require(
        _ caller: AdminCaller,
        _ operation: AdminOperation,
        _ resource: AdminResource,
        in target: AdminScope
    ) throws(KeelError) {
        guard AdminAuthorization.allows(caller, operation, resource, in: target) else {
            throw Self.denied(operation, resource)
        }
    }

    static func denied(_ operation: AdminOperation, _ resource: AdminResource) -> KeelError {
        .permissionDenied("This key may not \(operation.rawValue) this \(resource.description) (role or scope).")
    }

    /// Runs an admin handler and turns the store's refusals into client errors: a taken unique
    /// key, or a row still referred to, is 409; a value the schema refuses is 400.
    func respond(_ handler: () async throws -> Response) async throws -> Response {
        do {
            return try await handler()
        } catch let error as StorageError {
            switch error.code {
            case .conflict:
                return Self.conflict("An object with the same id or name already exists.")
            case .referenced:
                return Self.conflict(
                    "Other objects (teams, projects, users or unrevoked keys) still refer to it, or it refers to one that is gone."
                )
            case .invalidValue:
                throw KeelError.invalidRequest("A value is out of range.")
            default:
                throw error
            }
        } catch let error as AdminConflict {
            return Self.conflict(error.message)
        }
    }

    /// A conflict the handler found itself (409).
    struct AdminConflict: Error {
        let message: String
    }

    /// A 409 in the OpenAI error shape. `KeelError` has no conflict kind; the admin API is the
    /// only place that needs one.
    static func conflict(_ message: String) -> Response {
        var body = #"{"error":{"message":"#
        JSONWriter.appendString(message, to: &body)
        body += #","type":"invalid_request_error","param":null,"code":"conflict"}}"#
        return Response(
            status: .conflict,
            headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: body))
        )
    }

    // MARK: Input

    /// The JSON body of `request` as `T`; 400 with `shape` when it is not one.
    static func decode<T: Decodable>(_ type: T.Type, from request: Request, shape: String) async throws -> T {
        let body = try await request.body.collect(upTo: 64 << 10)
        do {
            return try JSONDecoder().decode(T.self, from: Data(body.readableBytesView))
        } catch {
            throw KeelError.invalidRequest("The body must be a JSON object with \(shape).")
        }
    }

    /// The id a client chose (letters, digits, `.`, `_`, `-`; 1–64 characters, starting with a
    /// letter or digit), or a new one with `prefix`.
    static func newID(_ chosen: String?, prefix: String) throws(KeelError) -> String {
        guard let chosen else {
            let random = UUID().uuidString.lowercased().replacing("-", with: "")
            return prefix + String(random.prefix(16))
        }
        guard ChosenID.isValid(chosen) else {
            throw .invalidRequest(
                "Invalid 'id': 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit.",
                param: "id"
            )
        }
        return chosen
    }

    /// A required, trimmed, non-empty name of at most 200 characters.
    static func name(_ text: String?, param: String = "name") throws(KeelError) -> String {
        let trimmed = text?.trimmedWhitespace() ?? ""
        guard !trimmed.isEmpty, trimmed.count <= 200 else {
            throw .invalidRequest("'\(param)' must be 1 to 200 characters.", param: param)
        }
        return trimmed
    }

    /// `limit` (1–1000, default 100) and `cursor` of a list request.
    static func page(_ request: Request) throws(KeelError) -> (limit: Int, cursor: String?) {
        let parameters = request.uri.queryParameters
        let limit = try Self.integer(parameters["limit"], name: "limit") ?? 100
        guard (1...1_000).contains(limit) else { throw .invalidRequest("Invalid 'limit': 1 to 1000.", param: "limit") }
        return (limit, parameters["cursor"].map(String.init))
    }

    static func integer(_ text: Substring?, name: String) throws(KeelError) -> Int? {
        guard let text else { return nil }
        guard let value = Int(text) else {
            throw .invalidRequest("Invalid '\(name)': expected an integer.", param: name)
        }
        return value
    }

    static func encode(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(value)
        return Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data))
        )
    }

    /// `{"id", "object", "deleted": true}`, the answer of a DELETE.
    struct Deleted: Encodable {
        let id: String
        let object: String
        let deleted = true
    }

    /// One page of a list: `{"data": [...], "next_cursor": "…" | null}`.
    struct ListPage<Item: Encodable>: Encodable {
        let data: [Item]
        let nextCursor: String?

        enum CodingKeys: String, CodingKey {
            case data
            case nextCursor = "next_cursor"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(self.data, forKey: .data)
            try container.encode(self.nextCursor, forKey: .nextCursor)
        }
    }
}

extension AdminResource: CustomStringConvertible {
    var description: String {
        switch self {
        case .organization: "organization"
        case .team: "team"
        case .project: "project"
        case .user: "user"
        case .userMembership: "user's team"
        case .key: "key"
        case .requestLog: "request log"
        case .budget: "budget"
        case .keyRateLimit: "key's rate limit"
        case .rateLimit: "rate limit"
        case .policy: "policy"
        case .agent: "agent"
        case .incident: "incident"
        }
    }
}
