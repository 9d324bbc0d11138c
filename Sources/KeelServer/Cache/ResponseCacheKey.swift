import Crypto
import KeelCore
import NIOCore

/// What a cached answer is stored and found under: the SHA-256 of the cache scope (the team, or
/// the key when it has no team), the client dialect, the requested model, the request headers
/// the dialect forwards upstream (Anthropic's `anthropic-version` and `anthropic-beta`, which
/// can change the answer) and the exact request body bytes.
///
/// The body is hashed as it arrived, so every difference counts: another message, `temperature`,
/// `stream` or `stream_options`, and also member order and white space (exact-match semantics,
/// as LiteLLM's and Portkey's simple caches). Each part is length-prefixed, so no two different
/// tuples produce the same hashed bytes.
struct ResponseCacheKey: Hashable, Sendable {
    let digest: SHA256Digest

    /// Whose answers may be shared: the requests of one team, or of one key without a team.
    enum Scope: Sendable, Equatable {
        case team(TeamID)
        case key(KeyID)

        /// The scope of a caller, `nil` when it has neither team nor key (nothing to isolate by,
        /// so nothing is cached).
        init?(teamID: TeamID?, keyID: KeyID?) {
            if let teamID {
                self = .team(teamID)
            } else if let keyID {
                self = .key(keyID)
            } else {
                return nil
            }
        }
    }

    init(scope: Scope, dialect: APIDialect, model: String, headers: [(name: String, value: String)] = [], body: ByteBuffer) {
        var hasher = SHA256()
        switch scope {
        case .team(let team): Self.update(&hasher, "team:" + team.rawValue)
        case .key(let key): Self.update(&hasher, "key:" + key.rawValue)
        }
        Self.update(&hasher, dialect.rawValue)
        Self.update(&hasher, model)
        var count = UInt64(headers.count).bigEndian
        withUnsafeBytes(of: &count) { hasher.update(bufferPointer: $0) }
        for header in headers {
            Self.update(&hasher, header.name)
            Self.update(&hasher, header.value)
        }
        var length = UInt64(body.readableBytes).bigEndian
        withUnsafeBytes(of: &length) { hasher.update(bufferPointer: $0) }
        body.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
        self.digest = hasher.finalize()
    }

    private static func update(_ hasher: inout SHA256, _ text: String) {
        var length = UInt64(text.utf8.count).bigEndian
        withUnsafeBytes(of: &length) { hasher.update(bufferPointer: $0) }
        var text = text
        text.withUTF8 { hasher.update(bufferPointer: UnsafeRawBufferPointer($0)) }
    }
}
