import Hummingbird
import KeelCore
import KeelStorage

// The bodies policies keep (`keep_bodies`): read one request's, erase an organisation's.
//
// Reading bodies takes the admin key or the `admin` or `auditor` role; erasing them takes an
// admin. An erasure is an `admin_change` entry of the audit log (`bodies.erase`); the entries of
// the erased requests keep their digests, so the log still verifies.
extension AdminAPI {
    /// `GET /admin/v1/requests/{id}/bodies`: `{"request_id", "org", "prompt", "answer",
    /// "answer_truncated", "encoding"}`; the bodies as text when both are UTF-8 (`"encoding":
    /// "utf-8"`), else standard base64 (`"base64"`). 404 when none is kept: no policy kept them,
    /// retention deleted them, or they were erased.
    func requestBodies(_ request: Request, id: String, vault: BodyVault) async throws -> Response {
        let caller = try self.authenticate(request)
        guard caller.role == .admin || caller.role == .auditor else {
            throw KeelError.permissionDenied(
                "Kept bodies are read with the admin key or a key with the admin or auditor role."
            )
        }
        let missing = KeelError.notFound(
            "No kept bodies for request '\(id)' (not kept, deleted by retention, or erased)."
        )
        guard let sealed = try await vault.store.body(requestID: RequestID(id)) else { throw missing }
        guard let opened = try await vault.open(sealed) else { throw missing }
        let texts = [opened.prompt, opened.answer].map { bytes in
            bytes.flatMap { String(validating: $0, as: UTF8.self) }
        }
        let utf8 = texts[0] != nil && (opened.answer == nil || texts[1] != nil)
        func field(_ bytes: [UInt8]?, _ text: String?) -> String {
            guard let bytes else { return "null" }
            return JSONWriter.quoted(utf8 ? text! : Base64Coding.encode(bytes))
        }
        var body =
            #"{"request_id":"# + JSONWriter.quoted(id) + #","org":"#
            + (sealed.org.isEmpty ? "null" : JSONWriter.quoted(sealed.org))
        body += #","prompt":"# + field(opened.prompt, texts[0]) + #","answer":"# + field(opened.answer, texts[1])
        body +=
            #","answer_truncated":\#(sealed.answerTruncated),"encoding":"# + (utf8 ? #""utf-8""# : #""base64""#) + "}"
        return Gateway.json(body)
    }

    /// `POST /admin/v1/bodies/{org}/erase` (`-`: requests without an organisation): deletes the
    /// organisation's data key, then its kept bodies. `{"org", "key_erased", "bodies_erased"}`.
    func eraseBodies(_ request: Request, org: String, vault: BodyVault) async throws -> Response {
        let caller = try self.authenticate(request)
        guard caller.role == .admin else {
            throw KeelError.permissionDenied("Only an admin erases kept bodies.")
        }
        let key = org == "-" ? "" : org
        let erased = try await vault.erase(org: key)
        let name = key.isEmpty ? "null" : JSONWriter.quoted(key)
        return Gateway.json(#"{"org":\#(name),"key_erased":\#(erased.hadKey),"bodies_erased":\#(erased.bodies)}"#)
    }
}

extension KeelRoutes {
    static func addBodies(to router: Router<BasicRequestContext>, admin: AdminAPI, vault: BodyVault) {
        router.get("admin/v1/requests/{id}/bodies") { request, context in
            try await admin.requestBodies(request, id: try context.parameters.require("id"), vault: vault)
        }
        router.post("admin/v1/bodies/{org}/erase") { request, context in
            try await admin.eraseBodies(request, org: try context.parameters.require("org"), vault: vault)
        }
    }
}
