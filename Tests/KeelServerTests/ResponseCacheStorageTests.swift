import HTTPTypes
import KeelCore
import NIOCore
import Synchronization
import Testing

@testable import KeelServer

@Suite("Response cache: storage, keys, directives, configuration")
struct ResponseCacheStorageTests {
    typealias Storage = ResponseCacheStorage<String, Int>
    let t0 = ContinuousClock.now

    @Test func theLeastRecentlyUsedEntriesAreEvictedToStayWithinTheByteBound() {
        var storage = Storage(maxBytes: 300)
        let later = self.t0 + .seconds(60)
        #expect(storage.insert(1, for: "a", bytes: 100, expiresAt: later) == .stored(evicted: 0))
        #expect(storage.insert(2, for: "b", bytes: 100, expiresAt: later) == .stored(evicted: 0))
        #expect(storage.insert(3, for: "c", bytes: 100, expiresAt: later) == .stored(evicted: 0))
        // Reading "a" makes "b" the least recently used.
        #expect(storage.value(for: "a", now: self.t0) == 1)
        #expect(storage.keysByRecency == ["a", "c", "b"])
        #expect(storage.insert(4, for: "d", bytes: 150, expiresAt: later) == .stored(evicted: 2))
        #expect(storage.keysByRecency == ["d", "a"])
        #expect(storage.bytes == 250)
        #expect(storage.value(for: "b", now: self.t0) == nil)
        #expect(storage.value(for: "c", now: self.t0) == nil)
        // An entry larger than the whole cache is refused, and evicts nothing.
        #expect(storage.insert(5, for: "e", bytes: 301, expiresAt: later) == .tooLarge)
        #expect(storage.count == 2 && storage.bytes == 250)
    }

    @Test func replacingAnEntryChargesOnlyItsNewSizeAndMakesItTheMostRecent() {
        var storage = Storage(maxBytes: 1_000)
        let later = self.t0 + .seconds(60)
        _ = storage.insert(1, for: "a", bytes: 400, expiresAt: later)
        _ = storage.insert(2, for: "b", bytes: 100, expiresAt: later)
        _ = storage.insert(3, for: "a", bytes: 200, expiresAt: later)
        #expect(storage.bytes == 300)
        #expect(storage.count == 2)
        #expect(storage.keysByRecency == ["a", "b"])
        #expect(storage.value(for: "a", now: self.t0) == 3)
    }

    @Test func anEntryExpiresAtItsInstantAndIsRemovedWhenLookedUp() {
        var storage = Storage(maxBytes: 1_000)
        _ = storage.insert(1, for: "a", bytes: 10, expiresAt: self.t0 + .seconds(10))
        #expect(storage.value(for: "a", now: self.t0 + .seconds(9)) == 1)
        #expect(storage.value(for: "a", now: self.t0 + .seconds(10)) == nil)
        #expect(storage.count == 0 && storage.bytes == 0)
    }

    @Test func slotsAreReusedAndTheListStaysConsistentUnderChurn() {
        var storage = Storage(maxBytes: 50)
        let later = self.t0 + .seconds(60)
        for index in 0..<1_000 {
            _ = storage.insert(index, for: "k\(index % 13)", bytes: 10, expiresAt: later)
            if index % 3 == 0 { _ = storage.value(for: "k\((index + 5) % 13)", now: self.t0) }
            #expect(storage.bytes <= 50)
            #expect(storage.keysByRecency.count == storage.count)
        }
        #expect(storage.count == 5)
    }

    @Test func theCacheExpiresEntriesByItsClockAndRefusesEntriesOverMaxEntryBytes() {
        let clock = Mutex(Duration.zero)
        let start = self.t0
        let cache = ResponseCache(
            configuration: .init(enabled: true, ttl: .seconds(60), maxBytes: 1 << 20, maxEntryBytes: 100),
            now: { start + clock.withLock { $0 } }
        )
        let key = ResponseCacheKey(scope: .team("search"), dialect: .openAI, model: "m", body: ByteBuffer(string: "{}"))
        let small = ResponseCache.Entry(body: .stream(ByteBuffer(string: "data: x\n\n")), usage: .zero, cost: USDNanos(5), model: "m")
        #expect(cache.store(small, for: key))
        clock.withLock { $0 = .seconds(59) }
        #expect(cache.entry(for: key)?.cost == USDNanos(5))
        clock.withLock { $0 = .seconds(60) }
        #expect(cache.entry(for: key) == nil)

        let large = ResponseCache.Entry(body: .complete(ByteBuffer(repeating: 0x41, count: 101), contentType: nil), usage: .zero, cost: .zero, model: "m")
        #expect(!cache.store(large, for: key))
        #expect(cache.usage.entries == 0)
    }

    @Test func keysDifferByTeamDialectModelAndEveryBodyByte() {
        let body = ByteBuffer(string: #"{"model":"m","messages":[{"role":"user","content":"hi"}]}"#)
        let base = ResponseCacheKey(scope: .team("a"), dialect: .openAI, model: "m", body: body)
        #expect(base == ResponseCacheKey(scope: .team("a"), dialect: .openAI, model: "m", body: body))
        #expect(base != ResponseCacheKey(scope: .team("b"), dialect: .openAI, model: "m", body: body))
        // A team and a key of the same name are different scopes.
        #expect(base != ResponseCacheKey(scope: .key("a"), dialect: .openAI, model: "m", body: body))
        #expect(base != ResponseCacheKey(scope: .team("a"), dialect: .anthropic, model: "m", body: body))
        #expect(base != ResponseCacheKey(scope: .team("a"), dialect: .openAI, model: "n", body: body))
        let spaced = ByteBuffer(string: #"{"model":"m", "messages":[{"role":"user","content":"hi"}]}"#)
        #expect(base != ResponseCacheKey(scope: .team("a"), dialect: .openAI, model: "m", body: spaced))
        // Headers the dialect forwards upstream (anthropic-beta) can change the answer.
        let beta = ResponseCacheKey(scope: .team("a"), dialect: .anthropic, model: "m", headers: [("anthropic-beta", "x")], body: body)
        #expect(beta != ResponseCacheKey(scope: .team("a"), dialect: .anthropic, model: "m", body: body))
        #expect(beta == ResponseCacheKey(scope: .team("a"), dialect: .anthropic, model: "m", headers: [("anthropic-beta", "x")], body: body))
        // Length prefixes: moving a boundary between parts changes the key.
        #expect(
            ResponseCacheKey(scope: .team("ab"), dialect: .openAI, model: "c", body: body)
                != ResponseCacheKey(scope: .team("a"), dialect: .openAI, model: "bc", body: body))
    }

    @Test(arguments: [
        ([], CacheDirective.use),
        ([("x-keel-cache", "no-cache")], .refresh),
        ([("x-keel-cache", "NO-STORE")], .bypass),
        ([("cache-control", "no-cache")], .refresh),
        ([("cache-control", "max-age=0, no-store")], .bypass),
        ([("cache-control", "no-cache"), ("x-keel-cache", "no-store")], .bypass),
        ([("cache-control", "max-age=60")], .use),
    ] as [([(String, String)], CacheDirective)])
    func requestHeadersChooseTheDirective(headers: [(String, String)], expected: CacheDirective) {
        var fields = HTTPFields()
        for (name, value) in headers { fields.append(HTTPField(name: HTTPField.Name(name)!, value: value)) }
        #expect(CacheDirective(fields) == expected)
    }

    @Test func theCacheSectionIsReadWithDefaultsAndPerModelOptOut() throws {
        let configuration = try KeelConfiguration.parse(
            yaml: """
                providers: [ { name: sim, kind: simulator } ]
                models:
                  - { name: a, routes: [ { provider: sim, model: keel-sim-chat } ] }
                  - { name: b, routes: [ { provider: sim, model: keel-sim-chat } ], cache: false }
                cache: { enabled: true, ttl: 90s, max_bytes: 2048 }
                """,
            environment: [:]
        )
        #expect(configuration.cache == .init(enabled: true, ttl: .seconds(90), maxBytes: 2_048, maxEntryBytes: 2_048))
        #expect(configuration.models.map(\.cache) == [true, false])
        let cache = try #require(ResponseCache(configuration: configuration))
        #expect(cache.admits(model: "a") && !cache.admits(model: "b"))
        #expect(ResponseCache(configuration: KeelConfiguration()) == nil, "off by default")
        #expect(try KeelConfiguration.parse(yaml: "cache: { ttl: 7d }", environment: [:]).cache.ttl == .seconds(7 * 86_400))
        #expect(try KeelConfiguration.parse(yaml: "cache: { ttl: 250ms }", environment: [:]).cache.ttl == .milliseconds(250))
    }

    @Test(arguments: [
        ("cache: { ttl: soon }", "cache.ttl"),
        ("cache: { ttl: 0s }", "cache.ttl"),
        ("cache: { ttl: 31d }", "cache.ttl"),
        ("cache: { enabled: maybe }", "cache.enabled"),
        ("cache: { max_bytes: 12 }", "cache.max_bytes"),
        ("cache: { max_bytes: 4096, max_entry_bytes: 8192 }", "cache.max_entry_bytes"),
        ("cache: { size: 10 }", "cache.size"),
        ("models: [ { name: a, routes: [ { provider: p, model: m } ], cache: sometimes } ]\nproviders: [ { name: p, kind: simulator } ]", "models[0].cache"),
    ])
    func invalidCacheSettingsAreRefusedWithTheirKey(yaml: String, key: String) {
        do {
            _ = try KeelConfiguration.parse(yaml: yaml, environment: [:])
            Issue.record("expected a ConfigurationError for \(key)")
        } catch let error as ConfigurationError {
            #expect(error.issues.map(\.key) == [key], "\(error.issues)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
