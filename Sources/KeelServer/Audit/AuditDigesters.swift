import HTTPTypes
import Hummingbird
import KeelCore
import KeelStorage
import Logging
import NIOCore
import Synchronization

/// The content-digest keys of the organisations, loaded from the store on an organisation's
/// first request and kept: the audit log's `prompt_sha256` and `answer_sha256` are HMAC-SHA-256
/// of the bodies keyed with them (``AuditContentDigester``).
final class AuditDigesters: Sendable {
    private let store: any AuditLogStore
    private let logger: Logger
    private let loaded = Mutex<[String: AuditContentDigester]>([:])

    init(store: any AuditLogStore, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    /// The digester of `org` (requests without an organisation share one); `nil` when its salt
    /// cannot be read now, and the request's entry then carries no digests.
    func digester(for org: OrgID?) async -> AuditContentDigester? {
        let name = org?.rawValue ?? ""
        if let known = self.cached(name) { return known }
        do {
            let (id, salt) = try await self.store.salt(forOrg: name, now: WallClock.unixMicros())
            let digester = AuditContentDigester(saltID: id, salt: salt)
            self.loaded.withLock { $0[name] = digester }
            return digester
        } catch {
            self.logger.warning(
                "The audit digest salt could not be read; entries go without digests",
                metadata: ["error.message": "\(error)"]
            )
            return nil
        }
    }

    /// The digester of `org` when it is loaded already.
    func cached(for org: OrgID?) -> AuditContentDigester? {
        self.cached(org?.rawValue ?? "")
    }

    private func cached(_ name: String) -> AuditContentDigester? {
        self.loaded.withLock { $0[name] }
    }
}

/// The digest of a streamed answer, fed by ``AnswerDigestingWriter`` with every byte the client
/// is sent and read by the stream's recorder when the stream ends.
final class AnswerDigest: Sendable {
    private struct State {
        var digest: AuditContentDigester.IncrementalDigest?
        /// The answer's bytes, when the request's bodies are kept (up to
        /// ``KeptBodies/maximumAnswerBytes``).
        var kept: ByteBuffer?
        var truncated = false
    }

    private let state: Mutex<State>

    init(_ digester: AuditContentDigester?, keeping: Bool = false) {
        self.state = Mutex(State(digest: digester?.makeDigest(), kept: keeping ? ByteBuffer() : nil))
    }

    func update(_ buffer: ByteBuffer) {
        self.state.withLock { state in
            state.digest?.update(buffer)
            guard state.kept != nil, !state.truncated else { return }
            let room = KeptBodies.maximumAnswerBytes - state.kept!.readableBytes
            if buffer.readableBytes > room {
                state.kept!.writeImmutableBuffer(buffer.getSlice(at: buffer.readerIndex, length: room)!)
                state.truncated = true
            } else {
                state.kept!.writeImmutableBuffer(buffer)
            }
        }
    }

    /// The digest of everything written; `nil` without a digester.
    var value: String? { self.state.withLock { $0.digest?.finalize() } }

    /// Puts the digest and the kept answer on `record`.
    func finish(_ record: inout RequestRecord) {
        let (digest, kept, truncated) = self.state.withLock { ($0.digest?.finalize(), $0.kept, $0.truncated) }
        if let digest { record.contentDigests?.answer = digest }
        if let kept {
            record.keptBodies?.answer = kept
            record.keptBodies?.answerTruncated = truncated
        }
    }
}

/// The response writer that adds every byte the client is sent to the answer's digest.
enum AnswerDigestingWriter {
    /// `writer` itself when there is no digest to keep.
    static func wrapping(_ writer: any ResponseBodyWriter, digest: AnswerDigest?) -> any ResponseBodyWriter {
        guard let digest else { return writer }
        return ObservedWriter(inner: writer, observe: digest.update)
    }
}

/// A response writer that passes every byte on, then hands it to `observe` (what the client
/// received, read for the record: the answer's digest, its tool calls).
struct ObservedWriter: ResponseBodyWriter {
    var inner: any ResponseBodyWriter
    let observe: @Sendable (ByteBuffer) -> Void

    mutating func write(_ buffer: ByteBuffer) async throws {
        try await self.inner.write(buffer)
        self.observe(buffer)
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        try await self.inner.finish(trailingHeaders)
    }
}
