import KeelCore
import KeelStorage
import Testing

@Suite("RequestRecordStore conformance")
struct RequestRecordStoreConformanceTests {
    @Test(arguments: StoreBackend.enabled)
    func appendedRecordsReadBackWithEveryField(backend: StoreBackend) async throws {
        let everyField = RequestRecord(
            id: "req-full",
            startedAt: 1_750_000_000_123_456,
            operation: "chat",
            keyID: "key-1",
            teamID: "team-1",
            projectID: "project-1",
            userID: "user-1",
            requestedModel: "fast-alias",
            model: "modèle-ü 'quoted' \"; DROP TABLE request_record; --",
            provider: "anthropic",
            deployment: "claude-test-2025",
            stream: true,
            status: 599,
            outcome: .interrupted,
            errorClass: "upstream_unavailable",
            attempts: 3,
            attemptLog: [
                .init(
                    provider: "openai",
                    deployment: "gpt-\"q\"",
                    errorClass: "upstream_unavailable",
                    upstreamStatus: 503,
                    durationMicros: 1_200
                ),
                .init(
                    provider: "openai",
                    deployment: "gpt-x",
                    errorClass: "upstream_timeout",
                    durationMicros: 60_000_000
                ),
                .init(provider: "anthropic", deployment: "claude-test-2025", durationMicros: 0, resumed: true),
            ],
            ttftMicros: 12_345,
            upstreamMicros: 987_654,
            totalMicros: 1_000_001,
            usage: TokenUsage(
                inputTokens: Int64.max,
                outputTokens: Int64.max - 1,
                cachedInputTokens: 4_000_000_000,
                cacheWriteTokens: 3,
                cacheWrite1hTokens: 2,
                reasoningTokens: 1
            ),
            cost: USDNanos(Int64.max),
            agentID: "agent ~!\"'; --",
            taskID: String(repeating: "t", count: AgentTask.maxLength),
            taskOutcome: .failure,
            guardVerdict: GuardVerdict(
                action: .blocked,
                findings: [
                    .init(type: .email, count: 2, action: .redact), .init(type: .usSSN, count: 1, action: .log),
                ],
                answerFindings: [.init(type: .openAIKey, count: 1, action: .block)],
                injection: .init(
                    score: 0.8231,
                    flagged: true,
                    action: .flag,
                    role: .tool,
                    signals: [.instructionOverride, .fakeTurn]
                )
            ),
            toolName: "github/create_issue ~!\"'; --"
        )
        let onlyRequired = RequestRecord(
            id: "req-minimal",
            startedAt: 1_750_000_000_000_000,
            operation: "embeddings",
            requestedModel: "nope",
            status: 401,
            outcome: .error,
            totalMicros: 0
        )
        var emptyModel = RequestRecord.fixture("req-empty-model", at: 1_749_000_000_000_000, model: "")
        emptyModel.stream = true

        try await backend.withStores { stores async throws in
            try await stores.requests.append([onlyRequired, everyField, emptyModel])
            let stored = try await stores.requests.records(matching: RequestRecordQuery())
            #expect(stored == [everyField, onlyRequired, emptyModel])
        }
    }

    @Test(arguments: StoreBackend.enabled)
    func appendingAnEmptyBatchStoresNothing(backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            try await stores.requests.append([])
            #expect(try await stores.requests.count(matching: RequestRecordQuery()) == 0)
        }
    }

    @Test(arguments: StoreBackend.enabled)
    func aBatchWithADuplicateIDInsideItStoresNothing(backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            let batch = [
                RequestRecord.fixture("a", at: 1), .fixture("b", at: 2), .fixture("a", at: 3), .fixture("c", at: 4),
            ]
            await #expect(throws: (any Error).self) { try await stores.requests.append(batch) }
            let stored = try await stores.requests.count(matching: RequestRecordQuery())
            #expect(stored == 0)
        }
    }

    @Test(arguments: StoreBackend.enabled)
    func aBatchWithAnAlreadyStoredIDStoresNothing(backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            let first = RequestRecord.fixture("a", at: 1, cost: 7)
            try await stores.requests.append([first])
            let batch = [RequestRecord.fixture("b", at: 2), .fixture("a", at: 3, cost: 9), .fixture("c", at: 4)]
            await #expect(throws: (any Error).self) { try await stores.requests.append(batch) }
            #expect(try await stores.requests.records(matching: RequestRecordQuery()) == [first])
        }
    }

    @Test(arguments: StoreBackend.enabled)
    func aBatchWithANegativeCostStoresNothing(backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            let batch = [RequestRecord.fixture("a", at: 1), .fixture("b", at: 2, cost: -1)]
            await #expect(throws: (any Error).self) { try await stores.requests.append(batch) }
            let stored = try await stores.requests.count(matching: RequestRecordQuery())
            #expect(stored == 0)
        }
    }

    @Test(arguments: StoreBackend.enabled, RecordFilterCase.all)
    func eachFilterReturnsExactlyItsRecordsNewestFirst(backend: StoreBackend, filter: RecordFilterCase) async throws {
        try await backend.withStores { stores async throws in
            try await stores.requests.append(RecordFilterCase.dataset)
            let ids = try await stores.requests.records(matching: filter.query).map(\.id.rawValue)
            #expect(ids == filter.expectedNewestFirst)
            #expect(try await stores.requests.count(matching: filter.query) == filter.expectedNewestFirst.count)
        }
    }

    @Test(arguments: StoreBackend.enabled)
    func orgAndTagsAreStoredAndReadBackAsGiven(backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            try await stores.requests.append(RecordFilterCase.dataset)
            let stored = try await stores.requests.records(matching: .init()).reversed()
            #expect(Array(stored) == RecordFilterCase.dataset)
        }
    }

    @Test(arguments: StoreBackend.enabled)
    func theTimeWindowIncludesFromAndExcludesTo(backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            try await stores.requests.append((0..<5).map { RequestRecord.fixture("r\($0)", at: 1_000 + Int64($0)) })
            let window = RequestRecordQuery(from: 1_001, to: 1_003)
            #expect(try await stores.requests.records(matching: window).map(\.id) == ["r2", "r1"])
            #expect(try await stores.requests.count(matching: window) == 2)
            #expect(try await stores.requests.count(matching: RequestRecordQuery(from: 1_003, to: 1_003)) == 0)
        }
    }

    @Test(arguments: StoreBackend.enabled)
    func cursorPagingAcrossEqualTimestampsReturnsEveryRecordExactlyOnce(backend: StoreBackend) async throws {
        // Four records share each timestamp and ids are not in time order, so a cursor on the
        // timestamp alone would skip or repeat records at page boundaries.
        let records = (0..<30).map { index in
            RequestRecord.fixture(
                "id-\((index * 7) % 30 + 10)",
                at: 5_000 + Int64(index / 4),
                teamID: index.isMultiple(of: 3) ? "team-b" : "team-a"
            )
        }
        try await backend.withStores { stores async throws in
            try await stores.requests.append(Array(records[..<13]))
            try await stores.requests.append(Array(records[13...]))
            for teamID in [nil, "team-a"] as [TeamID?] {
                let expected =
                    records
                    .filter { teamID == nil || $0.teamID == teamID }
                    .sorted { ($0.startedAt, $0.id.rawValue) > ($1.startedAt, $1.id.rawValue) }
                var query = RequestRecordQuery(teamID: teamID, limit: 7)
                var seen: [RequestRecord] = []
                while true {
                    let page = try await stores.requests.records(matching: query)
                    #expect(page.count <= 7)
                    seen += page
                    guard let last = page.last, page.count == query.limit else { break }
                    query.before = .init(startedAt: last.startedAt, id: last.id)
                }
                #expect(seen == expected)
                #expect(Set(seen.map(\.id)).count == expected.count)
            }
        }
    }

    @Test(arguments: StoreBackend.enabled)
    func countIgnoresTheLimitAndTheCursor(backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            try await stores.requests.append((0..<12).map { RequestRecord.fixture("r\($0)", at: Int64($0)) })
            let query = RequestRecordQuery(before: .init(startedAt: 3, id: "r3"), limit: 2)
            #expect(try await stores.requests.count(matching: query) == 12)
            #expect(try await stores.requests.records(matching: query).map(\.id) == ["r2", "r1"])
        }
    }

    @Test(arguments: StoreBackend.enabled)
    func aLimitOfZeroReturnsNoRecords(backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            try await stores.requests.append([.fixture("r", at: 1)])
            #expect(try await stores.requests.records(matching: RequestRecordQuery(limit: 0)).isEmpty)
        }
    }
}

/// How every backend reports a refused write and orders text, so that callers can rely on it
/// whatever the database.
@Suite("RequestRecordStore conformance: errors and ordering")
struct RequestRecordStoreErrorAndOrderingConformanceTests {
    @Test(arguments: StoreBackend.enabled)
    func anAlreadyStoredIDIsAConflict(backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            try await stores.requests.append([.fixture("a", at: 1)])
            let error = try await #require(throws: StorageError.self) {
                try await stores.requests.append([.fixture("a", at: 2)])
            }
            #expect(error.code == .conflict)
            #expect(error.message.contains("request_record"))
        }
    }

    @Test(arguments: StoreBackend.enabled)
    func aDuplicateIDInsideABatchIsAConflict(backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            let error = try await #require(throws: StorageError.self) {
                try await stores.requests.append([.fixture("a", at: 1), .fixture("a", at: 2)])
            }
            #expect(error.code == .conflict)
        }
    }

    @Test(arguments: StoreBackend.enabled)
    func aNegativeCostIsAnInvalidValue(backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            let error = try await #require(throws: StorageError.self) {
                try await stores.requests.append([.fixture("a", at: 1, cost: -1)])
            }
            #expect(error.code == .invalidValue)
        }
    }

    @Test(arguments: StoreBackend.enabled)
    func aBatchLargerThanOneStatementIsStoredWhole(backend: StoreBackend) async throws {
        let records = (0..<2_345).map { RequestRecord.fixture("big-\($0)", at: Int64($0)) }
        try await backend.withStores { stores async throws in
            try await stores.requests.append(records)
            #expect(try await stores.requests.count(matching: .init()) == records.count)
            var duplicateAtTheEnd = (0..<2_100).map { RequestRecord.fixture("next-\($0)", at: 5_000 + Int64($0)) }
            duplicateAtTheEnd.append(.fixture("big-0", at: 9_999))
            await #expect(throws: StorageError.self) { try await stores.requests.append(duplicateAtTheEnd) }
            #expect(try await stores.requests.count(matching: .init()) == records.count)
        }
    }

    @Test(arguments: StoreBackend.enabled)
    func idsAtOneTimestampAreOrderedByTheirBytesAcrossPages(backend: StoreBackend) async throws {
        // Mixed case, punctuation and non-ASCII: a linguistic collation (en_US) would order
        // these differently from SQLite's byte order, and a cursor would then skip or repeat.
        let ids = ["b", "B", "a", "A", "_x", "-x", "é", "e", "z", "Z", "10", "9", "ü", "aa", "a-b", "a_b"]
        let records = ids.map { RequestRecord.fixture($0, at: 42) }
        let expected = ids.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }.reversed().map { $0 }
        try await backend.withStores { stores async throws in
            try await stores.requests.append(records)
            #expect(try await stores.requests.records(matching: .init()).map(\.id.rawValue) == expected)
            var query = RequestRecordQuery(limit: 3)
            var seen: [String] = []
            while true {
                let page = try await stores.requests.records(matching: query)
                seen += page.map(\.id.rawValue)
                guard let last = page.last, page.count == query.limit else { break }
                query.before = .init(startedAt: last.startedAt, id: last.id)
            }
            #expect(seen == expected)
        }
    }
}
