import HTTPTypes
import Hummingbird
import KeelCore
import KeelProviders
import NIOCore

/// Watches answers for the canary tokens of `incidents.canary_tokens`: secrets operators place
/// in their system prompts. A token in an answer means the system prompt leaked: a high-severity
/// data-exposure detection naming the request, reported when the token is seen (a stream is not
/// held for it). The answer itself passes as it came.
///
/// A complete answer's body is searched as it is (tokens are made of bytes JSON never escapes);
/// a stream's text, reasoning, refusal and tool-call argument deltas are read back from the
/// client's bytes, so a token split over several events is found too. Without tokens configured
/// the gateway has no watch and does no work for it.
final class CanaryTokenWatch: Sendable {
    /// The tokens' matcher, their bytes prepared once; each stream gets a copy of its own.
    private let matcher: CanaryTokenMatcher
    private let report: @Sendable (Detection) -> Void

    init(tokens: [CanaryToken], report: @escaping @Sendable (Detection) -> Void) {
        self.matcher = CanaryTokenMatcher(tokens: tokens)
        self.report = report
    }

    /// Searches a complete answer.
    func check(complete body: ByteBuffer, record: RequestRecord) {
        let found = body.withUnsafeReadableBytes { self.matcher.tokens(in: $0) }
        guard !found.isEmpty else { return }
        self.report(Self.detection(found, requestID: record.id.rawValue, scope: Self.scope(of: record)))
    }

    /// `writer`, wrapped so that the stream it writes (in `dialect`) is searched.
    func watching(
        _ writer: any ResponseBodyWriter,
        dialect: APIDialect,
        record: RequestRecord
    ) -> any ResponseBodyWriter {
        guard let decoder = ChatDialects.upstream(dialect)?.makeStreamDecoder() else { return writer }
        return CanaryTokenWriter(
            inner: writer,
            decoder: decoder,
            matcher: self.matcher,
            requestID: record.id.rawValue,
            scope: Self.scope(of: record),
            report: self.report
        )
    }

    static func scope(of record: RequestRecord) -> IncidentScope {
        IncidentScope(
            org: record.orgID?.rawValue,
            team: record.teamID?.rawValue,
            key: record.agentID == nil ? record.keyID?.rawValue : nil,
            agent: record.agentID
        )
    }

    static func detection(_ found: [CanaryToken], requestID: String, scope: IncidentScope) -> Detection {
        let names = found.map { "'\($0.name)'" }.joined(separator: ", ")
        return Detection(
            category: .dataExposure,
            severity: .high,
            scope: scope,
            detector: "canary_token",
            summary: (found.count == 1 ? "The canary token " : "The canary tokens ") + names
                + " of a system prompt appeared in an answer: the system prompt leaked",
            requestIDs: [requestID],
            values: ["tokens": Double(found.count)],
            at: WallClock.unixMicros()
        )
    }
}

/// The response writer of a stream watched for canary tokens: what the client receives is read
/// back as its dialect's events; bytes that cannot be read back stop the reading, never the
/// stream.
struct CanaryTokenWriter: ResponseBodyWriter {
    var inner: any ResponseBodyWriter
    var decoder: (any ChatStreamDecoder)?
    var matcher: CanaryTokenMatcher
    let requestID: String
    let scope: IncidentScope
    let report: @Sendable (Detection) -> Void

    mutating func write(_ buffer: ByteBuffer) async throws {
        try await self.inner.write(buffer)
        guard self.decoder != nil else { return }
        let events: [ChatStreamEvent]
        do {
            events = try self.decoder!.decode(buffer)
        } catch {
            self.decoder = nil
            return
        }
        var found: [CanaryToken] = []
        for event in events {
            switch event {
            case .textDelta(let text), .thinkingDelta(let text), .refusalDelta(let text),
                .toolCallArgumentsDelta(_, let text):
                found += self.matcher.feed(text)
            default: continue
            }
        }
        if !found.isEmpty {
            self.report(CanaryTokenWatch.detection(found, requestID: self.requestID, scope: self.scope))
        }
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        try await self.inner.finish(trailingHeaders)
    }
}
