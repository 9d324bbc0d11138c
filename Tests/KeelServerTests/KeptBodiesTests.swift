import Foundation
import KeelCore
import KeelServer
import KeelStorage
import KeelTesting
import NIOHTTP1
import Testing

/// Bodies kept by policy (`keep_bodies`): sealed per organisation, readable by admins and
/// auditors, erased by deleting the organisation's key, and the audit log still verifies.
@Suite("Kept bodies")
struct KeptBodiesTests {
    /// The bodies of `requestID` once written (they are written after the record, off the
    /// request path).
    static func bodies(
        _ keel: TestGateway,
        _ requestID: String,
        key: String = TestKeel.adminKey
    ) async throws -> TestResponse {
        var response = try await keel.send(.GET, "/admin/v1/requests/\(requestID)/bodies", key: key)
        try await eventually(every: .milliseconds(50)) {
            guard response.status == 404 else { return true }
            response = try await keel.send(.GET, "/admin/v1/requests/\(requestID)/bodies", key: key)
            return false
        }
        return response
    }

    @Test(arguments: TestDatabase.enabled)
    func bodiesAreKeptSealedForTheirOrganisationAndErasedWithItsKey(database: TestDatabase) async throws {
        try await TestKeel.run(configure: AuditLogTests.configure(database)) { keel in
            func key(_ body: String) async throws -> String {
                let created = try await keel.post("/admin/v1/keys", json: body)
                #expect(created.status == 201, "\(created.body)")
                return try #require(created.json?["key"] as? String)
            }
            for org in ["acme", "beta"] {
                #expect(
                    try await keel.post("/admin/v1/orgs", json: #"{"id":"\#(org)","name":"\#(org)"}"#).status == 201
                )
            }
            let acme = try await key(#"{"org":"acme"}"#)
            let beta = try await key(#"{"org":"beta"}"#)
            let auditor = try await key(#"{"role":"auditor"}"#)
            let viewer = try await key(#"{"org":"acme","role":"viewer"}"#)
            #expect(
                try await keel.post(
                    "/admin/v1/policies",
                    json: #"{"id":"keep-acme","scope":{"org":"acme"},"keep_bodies":true}"#
                ).status == 201
            )

            let marker = "kept-\(UUID().uuidString)"
            let prompt = chatBody("remember \(marker) ünïcode")
            let complete = try await keel.post("/v1/chat/completions", json: prompt, key: acme)
            #expect(complete.status == 200)
            let streamPrompt = chatBody("stream \(marker)", extra: #""stream":true"#)
            let streamed = try await keel.post("/v1/chat/completions", json: streamPrompt, key: acme)
            #expect(streamed.status == 200)
            let other = try await keel.post("/v1/chat/completions", json: chatBody("not kept \(marker)"), key: beta)
            #expect(other.status == 200)
            let ids = try [complete, streamed, other].map { try #require($0.headers["x-keel-request-id"]) }

            // The request as received and the answer as sent, streams included.
            let first = try await Self.bodies(keel, ids[0], key: auditor)
            #expect(first.status == 200, "\(first.body)")
            #expect(first.json?["prompt"] as? String == prompt)
            #expect(first.json?["answer"] as? String == complete.body)
            #expect(first.json?["org"] as? String == "acme")
            #expect(first.json?["encoding"] as? String == "utf-8")
            let second = try await Self.bodies(keel, ids[1])
            #expect(second.json?["prompt"] as? String == streamPrompt)
            #expect(second.json?["answer"] as? String == streamed.body)
            #expect((second.json?["answer"] as? String)?.hasSuffix("data: [DONE]\n\n") == true)
            // Another organisation's requests are not kept; a viewer reads no bodies.
            #expect(try await keel.send(.GET, "/admin/v1/requests/\(ids[2])/bodies").status == 404)
            #expect(try await keel.send(.GET, "/admin/v1/requests/\(ids[0])/bodies", key: viewer).status == 403)
            #expect(try await keel.post("/admin/v1/bodies/acme/erase", json: "", key: auditor).status == 403)

            await keel.shutdown()
            // At rest, the bodies are sealed: no text of them is in the database.
            try await keel.withStores { stores in
                let rows = try await stores.database.rows("SELECT prompt, answer FROM request_body") { row in
                    (try row.decode("prompt", as: [UInt8].self), try row.decode("answer", as: [UInt8]?.self))
                }
                #expect(rows.count == 2)
                for (sealedPrompt, sealedAnswer) in rows {
                    for bytes in [sealedPrompt, sealedAnswer ?? []] {
                        #expect(!String(decoding: bytes, as: UTF8.self).contains(marker))
                        #expect(!String(decoding: bytes, as: UTF8.self).contains("remember"))
                    }
                }
                #expect(try await stores.bodies.key(forOrg: "acme")?.key.count == 32)
            }
        }
    }

    @Test func erasingAnOrganisationsBodiesDeletesItsKeyAndTheLogStillVerifies() async throws {
        try await TestKeel.run(configure: AuditLogTests.configure(.sqlite)) { keel in
            #expect(try await keel.post("/admin/v1/orgs", json: #"{"id":"acme","name":"Acme"}"#).status == 201)
            let created = try await keel.post("/admin/v1/keys", json: #"{"org":"acme"}"#)
            let acme = try #require(created.json?["key"] as? String)
            #expect(
                try await keel.post("/admin/v1/policies", json: #"{"scope":{"org":"acme"},"keep_bodies":true}"#).status
                    == 201
            )
            // Requests without an organisation are kept under a policy without scope.
            #expect(
                try await keel.post("/admin/v1/policies", json: #"{"id":"keep-all","keep_bodies":true}"#).status == 201
            )

            let before = try await keel.post("/v1/chat/completions", json: chatBody("before the erasure"), key: acme)
            let unscoped = try await keel.post("/v1/chat/completions", json: chatBody("no organisation"))
            let beforeID = try #require(before.headers["x-keel-request-id"])
            let unscopedID = try #require(unscoped.headers["x-keel-request-id"])
            #expect(try await Self.bodies(keel, beforeID).status == 200)
            #expect(try await Self.bodies(keel, unscopedID).status == 200)
            let sealed = try await keel.withStores { try await $0.bodies.body(requestID: RequestID(beforeID)) }
            let oldKey = try await keel.withStores { try await $0.bodies.key(forOrg: "acme") }

            let erased = try await keel.post("/admin/v1/bodies/acme/erase", json: "")
            #expect(erased.status == 200, "\(erased.body)")
            #expect(erased.json?["key_erased"] as? Bool == true)
            #expect(erased.json?["bodies_erased"] as? Int == 1)
            #expect(try await keel.send(.GET, "/admin/v1/requests/\(beforeID)/bodies").status == 404)
            #expect(
                try await keel.send(.GET, "/admin/v1/requests/\(unscopedID)/bodies").status == 200,
                "other organisations' stay"
            )

            // A copy of the sealed bodies (a backup) no longer opens: the key is gone.
            try await keel.withStores { stores in
                #expect(try await stores.bodies.key(forOrg: "acme") == nil)
                let copy = try #require(sealed)
                _ = try await stores.bodies.insert([copy])
                #expect(
                    try await stores.bodies.body(requestID: RequestID(beforeID)) == nil,
                    "not restorable under an erased key"
                )
            }
            // The next request gets a new key.
            let after = try await keel.post("/v1/chat/completions", json: chatBody("after the erasure"), key: acme)
            let afterID = try #require(after.headers["x-keel-request-id"])
            let readable = try await Self.bodies(keel, afterID)
            #expect(readable.status == 200)
            #expect((readable.json?["prompt"] as? String)?.contains("after the erasure") == true)
            let newKey = try await keel.withStores { try await $0.bodies.key(forOrg: "acme") }
            #expect(newKey != nil && newKey?.id != oldKey?.id && newKey?.key != oldKey?.key)

            await keel.shutdown()
            let report = try await AuditLogCheck.verify(keel.app.configuration, logger: AuditLogTests.logger)
            guard case .verified = report.result else {
                Issue.record("\(report.result)")
                return
            }
            // The erasure is itself in the log; the erased request's entry keeps its digests.
            try await keel.withStores { stores in
                let entries = try await stores.audit.entries(from: 0, to: 1_000).map {
                    try AuditEntry(canonicalBytes: $0.bytes)
                }
                #expect(
                    entries.contains { entry in
                        if case .adminChange(let change) = entry.payload {
                            return change.action == "bodies.erase" && change.targetID == "acme"
                        }
                        return false
                    }
                )
                let entry = try #require(try await stores.audit.entry(forRequest: RequestID(beforeID)))
                guard case .request(let request) = try AuditEntry(canonicalBytes: entry.bytes).payload else {
                    Issue.record("not a request entry")
                    return
                }
                #expect(request.contentDigests?.prompt != nil && request.contentDigests?.answer != nil)
            }
        }
    }
}
