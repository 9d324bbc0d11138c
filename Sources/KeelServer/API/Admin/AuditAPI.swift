import Hummingbird
import KeelCore
import KeelStorage
import NIOCore

/// `/admin/v1/audit`: the audit log's checkpoints, key, entries and proofs, for the admin key
/// and keys with the `admin` or `auditor` role (docs/audit-log.md). Base64 is standard with
/// padding; proofs are RFC 9162's, in its order.
struct AuditAPI: Sendable {
    let admin: AdminAPI
    let store: any AuditLogStore
    let signer: NoteSigner
    let completeness: AuditCompletenessMonitor?

    /// The most entries one `entries` call returns.
    static let maximumEntries: UInt64 = 1_000

    func authorizeAuditor(_ request: Request) throws(KeelError) {
        try self.authorize(request)
    }

    private func authorize(_ request: Request) throws(KeelError) {
        let caller = try self.admin.authenticate(request)
        guard caller.role == .admin || caller.role == .auditor else {
            throw .permissionDenied("The audit log is read with the admin key or a key with the admin or auditor role.")
        }
    }

    /// `GET /admin/v1/audit/checkpoint`: the latest signed checkpoint, as a signed note.
    func checkpoint(_ request: Request) async throws -> Response {
        try self.authorize(request)
        guard let latest = try await self.store.latestCheckpoint() else {
            throw KeelError.notFound("The audit log has no checkpoint yet.")
        }
        return Self.text(latest.note)
    }

    /// `GET /admin/v1/audit/key`: the verifier key of the checkpoints, one line.
    func key(_ request: Request) throws -> Response {
        try self.authorize(request)
        return Self.text(self.signer.verifierKey.description + "\n")
    }

    /// `GET /admin/v1/audit/entries?start=N&end=M`: the entries with index in `[N, M)`, at most
    /// 1,000 and at most up to the log's size, each as base64 of its exact bytes.
    func entries(_ request: Request) async throws -> Response {
        try self.authorize(request)
        let parameters = request.uri.queryParameters
        let start = try Self.index(parameters["start"], name: "start")
        let end = try Self.index(parameters["end"], name: "end")
        guard start < end else { throw KeelError.invalidRequest("'end' must be greater than 'start'.", param: "end") }
        let size = try await self.store.head().size
        guard start < size else {
            throw KeelError.invalidRequest("'start' must be below the log's size, \(size).", param: "start")
        }
        let entries = try await self.store.entries(from: start, to: min(end, size, start + Self.maximumEntries))
        var body = #"{"entries":["#
        for (offset, entry) in entries.enumerated() {
            if offset > 0 { body += "," }
            body += #"{"index":\#(entry.index),"entry":""# + Base64Coding.encode(entry.bytes) + #""}"#
        }
        return Gateway.json(body + "]}")
    }

    /// `GET /admin/v1/audit/proof/inclusion?index=N&tree_size=M`.
    func inclusionProof(_ request: Request) async throws -> Response {
        try self.authorize(request)
        let parameters = request.uri.queryParameters
        let index = try Self.index(parameters["index"], name: "index")
        let treeSize = try Self.index(parameters["tree_size"], name: "tree_size")
        guard index < treeSize else { throw KeelError.invalidRequest("'index' must be below 'tree_size'.", param: "index") }
        try await self.requireSize(treeSize, name: "tree_size")
        let proof = try await MerkleProof.inclusion(leafIndex: index, treeSize: treeSize, from: self.store)
        return Gateway.json(#"{"index":\#(index),"tree_size":\#(treeSize),"hashes":"# + Self.hashList(proof) + "}")
    }

    /// `GET /admin/v1/audit/proof/consistency?first=N&second=M`.
    func consistencyProof(_ request: Request) async throws -> Response {
        try self.authorize(request)
        let parameters = request.uri.queryParameters
        let first = try Self.index(parameters["first"], name: "first")
        let second = try Self.index(parameters["second"], name: "second")
        guard first > 0, first <= second else {
            throw KeelError.invalidRequest("Consistency proofs need 0 < 'first' <= 'second'.", param: "first")
        }
        try await self.requireSize(second, name: "second")
        let proof = try await MerkleProof.consistency(oldSize: first, newSize: second, from: self.store)
        return Gateway.json(#"{"first":\#(first),"second":\#(second),"hashes":"# + Self.hashList(proof) + "}")
    }

    /// `GET /admin/v1/audit/requests/{request_id}`: the entry of one request.
    func requestEntry(_ request: Request, id: String) async throws -> Response {
        try self.authorize(request)
        guard let entry = try await self.store.entry(forRequest: RequestID(id)) else {
            throw KeelError.notFound("No audit entry for request '\(id)' (entries are written shortly after the answer).")
        }
        return Gateway.json(#"{"index":\#(entry.index),"entry":""# + Base64Coding.encode(entry.bytes) + #""}"#)
    }

    private func requireSize(_ size: UInt64, name: String) async throws {
        let current = try await self.store.head().size
        guard size <= current else {
            throw KeelError.invalidRequest("'\(name)' must be at most the log's size, \(current).", param: name)
        }
    }

    static func index(_ text: Substring?, name: String) throws(KeelError) -> UInt64 {
        guard let text else { throw .invalidRequest("Missing '\(name)'.", param: name) }
        guard let value = UInt64(text), value <= UInt64(Int64.max) else {
            throw .invalidRequest("Invalid '\(name)': expected a non-negative integer.", param: name)
        }
        return value
    }

    static func hashList(_ hashes: [MerkleHash]) -> String {
        "[" + hashes.map { #"""# + $0.base64 + #"""# }.joined(separator: ",") + "]"
    }

    static func text(_ body: String) -> Response {
        Response(
            status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }
}

extension KeelRoutes {
    /// The `/admin/v1/audit` routes.
    static func addAudit(
        to router: Router<BasicRequestContext>, api: AuditAPI, status: ComplianceStatus, configuration: KeelConfiguration, stores: KeelStores
    ) {
        router.get("admin/v1/compliance/status") { request, _ in try await api.complianceStatus(request, status: status) }
        router.get("admin/v1/compliance/evidence") { request, _ in
            try await api.evidence(request, configuration: configuration, stores: stores, status: status)
        }
        let audit = router.group("admin/v1/audit")
        audit.get("checkpoint") { request, _ in try await api.checkpoint(request) }
        audit.get("key") { request, _ in try api.key(request) }
        audit.get("entries") { request, _ in try await api.entries(request) }
        audit.get("proof/inclusion") { request, _ in try await api.inclusionProof(request) }
        audit.get("proof/consistency") { request, _ in try await api.consistencyProof(request) }
        audit.get("requests/{request_id}") { request, context in
            try await api.requestEntry(request, id: try context.parameters.require("request_id"))
        }
    }
}
