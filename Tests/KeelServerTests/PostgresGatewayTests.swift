import Foundation
import KeelCore
import KeelServer
import KeelTesting
import NIOHTTP1
import Synchronization
import Testing

/// The gateway on PostgreSQL (`storage.url: postgres://…`), end to end. Runs where
/// `KEEL_TEST_POSTGRES_URL` is set (`.ci/run` starts a server and sets it).
@Suite("Gateway on PostgreSQL", .enabled(if: TestKeel.postgresURL != nil))
struct PostgresGatewayTests {
    @Test func requestsAreRecordedAndKeysOutliveTheInstanceThatCreatedThem() async throws {
        let url = try #require(TestKeel.postgresURL)
        let schema = TestKeel.uniquePostgresSchema()
        let onPostgres: @Sendable (inout KeelConfiguration) -> Void = { configuration in
            configuration.storage = .init(url: url, schema: schema, maxConnections: 4)
        }
        let key = Mutex("")
        try await TestKeel.run(configure: onPostgres) { keel in
            // Key bindings set through the admin API must name existing rows.
            #expect(try await keel.post("/admin/v1/orgs", json: #"{"id":"acme","name":"Acme"}"#).status == 201)
            #expect(try await keel.post("/admin/v1/teams", json: #"{"id":"search","org":"acme","name":"Search"}"#).status == 201)
            let created = try await keel.post("/admin/v1/keys", json: #"{"team":"search","models":["keel-sim-chat","via-anthropic"]}"#)
            #expect(created.status == 201)
            let newKey = try #require(created.json?["key"] as? String)
            for content in ["one", "two", "three"] {
                #expect(try await keel.post("/v1/chat/completions", json: chatBody(content), key: newKey).status == 200)
            }
            let stream = try await keel.post(
                "/v1/messages",
                json: #"{"model":"via-anthropic","max_tokens":32,"stream":true,"messages":[{"role":"user","content":"hi"}]}"#,
                key: newKey,
                headers: [("anthropic-version", "2023-06-01")]
            )
            #expect(stream.status == 200)
            await keel.shutdown()
            let records = try await keel.records()
            // Admin calls are not data-plane requests: three chats and one message.
            #expect(records.count == 4)
            #expect(records.allSatisfy { $0.teamID?.rawValue == "search" })
            #expect(records.allSatisfy { $0.outcome == .success })
            let streamed = try #require(records.first { $0.operation == "messages" })
            #expect(streamed.usage.outputTokens > 0 && streamed.cost > .zero)
            key.withLock { $0 = newKey }
        }
        let survivor = key.withLock { $0 }
        // A second gateway process on the same database knows the key.
        try await TestKeel.run(configure: onPostgres) { keel in
            #expect(try await keel.post("/v1/chat/completions", json: chatBody("again"), key: survivor).status == 200)
            // The first instance's records are in the shared database (this one's are written
            // off the request path, so they are counted after shutdown).
            let page = try await keel.send(.GET, "/admin/v1/requests?team=search")
            #expect(((page.json?["data"] as? [[String: Any]])?.count ?? 0) >= 4)
            await keel.shutdown()
            #expect(try await keel.records().count == 5)
        }
    }
}
