import HTTPTypes
import Hummingbird
import KeelCore
import NIOCore

extension Gateway {
    /// One chat request's dealings with the response cache, decided after admission and before
    /// routing (the pipeline order of DESIGN.md §3: Admit → Guard → Cache → Route).
    struct CacheTicket: Sendable {
        /// The `x-keel-cache` response header.
        enum Status: String, Sendable {
            /// Answered from the cache.
            case hit
            /// Not in the cache; a successful answer is stored.
            case miss
            /// `no-cache` asked: not read; a successful answer is stored, replacing the old one.
            case refresh
            /// `no-store` asked, or the model is not cached: neither read nor stored.
            case bypass
        }

        let cache: ResponseCache
        /// Where the answer is stored; `nil` when it is not to be.
        let key: ResponseCacheKey?
        let status: Status
        /// The cached answer, on a hit.
        let hit: ResponseCache.Entry?
    }

    /// What the cache says about `chat`; `nil` when the cache is off (no hashing then).
    func cacheTicket<Ingress: ChatIngress>(_ request: Request, _ chat: Ingress, record: RequestRecord) -> CacheTicket? {
        guard let cache = self.responseCache else { return nil }
        let directive = CacheDirective(request.headers)
        guard directive != .bypass, cache.admits(model: chat.model),
            let scope = ResponseCacheKey.Scope(teamID: record.teamID, keyID: record.keyID)
        else {
            return CacheTicket(cache: cache, key: nil, status: .bypass, hit: nil)
        }
        let key = ResponseCacheKey(
            scope: scope,
            dialect: Ingress.dialect,
            model: chat.model,
            headers: Ingress.forwardedHeaders(request),
            body: chat.body
        )
        if directive == .refresh {
            return CacheTicket(cache: cache, key: key, status: .refresh, hit: nil)
        }
        if let entry = cache.entry(for: key) {
            return CacheTicket(cache: cache, key: key, status: .hit, hit: entry)
        }
        return CacheTicket(cache: cache, key: key, status: .miss, hit: nil)
    }

    /// Answers an admitted request from a cached entry and records it: a success with the usage of
    /// the original answer, cost zero and the original cost as `cacheSavedCost`; no upstream, no
    /// attempts. A stream is replayed as the client first received it, at once. `dialect` is the
    /// client's, which the entry is written in.
    func respondFromCache<Body: Sendable>(
        _ entry: ResponseCache.Entry,
        _ admitted: Admitted<Body>,
        dialect: APIDialect
    ) async -> Response {
        var record = admitted.record
        record.cacheHit = true
        record.cacheSavedCost = entry.cost
        record.usage = entry.usage
        record.cost = .zero
        record.model = entry.model
        record.status = 200
        record.outcome = .success
        var headers = self.responseHeaders(record, attempts: 0)
        headers[.keelCache] = CacheTicket.Status.hit.rawValue
        headers[.keelCost] = USDNanos.zero.decimalString
        admitted.holds.addHeaders(to: &headers)
        let started = admitted.started
        let holds = admitted.holds
        let recorder = self.recorder
        let trace = admitted.trace
        switch entry.body {
        case .complete(let body, let contentType):
            headers[.contentType] = contentType ?? "application/json"
            record.totalMicros = (ContinuousClock.now - started).microseconds
            self.digestAnswer(body, of: &record)
            self.canaryTokens?.check(complete: body, record: record)
            await holds.settle(record)
            await recorder.record(record)
            guard let trace else {
                return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: body))
            }
            return Response(
                status: .ok,
                headers: headers,
                body: Self.tracedBody(body, trace: trace, record: record, dialect: dialect)
            )

        case .stream(let events):
            headers[.contentType] = "text/event-stream"
            headers[.cacheControl] = "no-cache"
            let answerDigest = self.answerDigest(for: record)
            let canaryTokens = self.canaryTokens
            return Response(
                status: .ok,
                headers: headers,
                body: ResponseBody { [record] writer in
                    var record = record
                    var writer = AnswerDigestingWriter.wrapping(
                        AnswerCapturingWriter.wrapping(
                            canaryTokens?.watching(writer, dialect: dialect, record: record) ?? writer,
                            trace: trace,
                            dialect: dialect
                        ),
                        digest: answerDigest
                    )
                    do {
                        try await writer.write(events)
                        record.ttftMicros = (ContinuousClock.now - started).microseconds
                        try await writer.finish(nil)
                    } catch {
                        record.outcome = .cancelled
                        record.errorClass = KeelError.clientDisconnected.metricLabel
                        record.status = KeelError.clientDisconnected.httpStatus
                    }
                    record.totalMicros = (ContinuousClock.now - started).microseconds
                    answerDigest?.finish(&record)
                    trace?.end(record)
                    await holds.settle(record)
                    await recorder.record(record)
                }
            )
        }
    }

    /// `response` (a complete success) with its `x-keel-cache` header; stores the answer when
    /// the ticket says so. `record` is the request's record as `respondComplete` finished it.
    func cachingComplete(
        _ response: Response,
        _ ticket: CacheTicket?,
        record: RequestRecord,
        body: ByteBuffer,
        contentType: String?
    ) -> Response {
        guard let ticket else { return response }
        var response = response
        response.headers[.keelCache] = ticket.status.rawValue
        if let key = ticket.key, ticket.cache.admits(model: record.model ?? record.requestedModel) {
            // A copy of exactly the body's bytes: the upstream's buffer may be larger than its
            // content, and the entry is charged by its content.
            let entry = ResponseCache.Entry(
                body: .complete(ByteBuffer(bytes: body.readableBytesView), contentType: contentType),
                usage: record.usage,
                cost: record.cost,
                model: record.model
            )
            ticket.cache.store(entry, for: key)
        }
        return response
    }

    /// `start` with its pipe capturing the stream for the cache when the ticket says so; the
    /// stream is stored when it ends complete (see ``CapturingPipe``).
    func cachingStream(_ start: StreamStart, _ ticket: CacheTicket?, record: RequestRecord) -> StreamStart {
        guard let ticket, let key = ticket.key, ticket.cache.admits(model: record.model ?? record.requestedModel) else {
            return start
        }
        let cache = ticket.cache
        let prices = self.prices
        let model = record.model
        let priced = record.deployment ?? record.requestedModel
        let pipe = CapturingPipe(start.pipe, pending: start.pending, limit: cache.configuration.maxEntryBytes) {
            events,
            accounting in
            // Priced as the relay prices the stream's record.
            let usage = accounting.usage ?? .zero
            let entry = ResponseCache.Entry(
                body: .stream(ByteBuffer(bytes: events.readableBytesView)),
                usage: usage,
                cost: prices.cost(of: usage, model: priced),
                model: model
            )
            cache.store(entry, for: key)
        }
        return StreamStart(pending: start.pending, pipe: pipe, rest: start.rest, contentAt: start.contentAt)
    }
}

extension Gateway.CacheTicket {
    /// Adds `x-keel-cache` to a response's headers.
    func addHeader(to headers: inout HTTPFields) {
        headers[.keelCache] = self.status.rawValue
    }
}
