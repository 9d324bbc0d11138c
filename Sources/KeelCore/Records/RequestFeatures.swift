/// What a chat request used beyond plain text, as its record keeps it for cost analysis
/// (``RequestRecord/features``). Stored as the raw value, so cases are never renumbered.
public struct RequestFeatures: OptionSet, Sendable, Hashable, Codable {
    public let rawValue: Int64
    public init(rawValue: Int64) { self.rawValue = rawValue }

    /// The request declared tools (a non-empty `tools` array).
    public static let tools = Self(rawValue: 1 << 0)
    /// A message carries an image part.
    public static let images = Self(rawValue: 1 << 1)
}

/// The features and prompt fingerprint of a chat body, read from its top-level members without
/// decoding them (a few memchr/memcmp scans and one pass over at most 4 KiB).
public struct PromptTraits: Sendable, Equatable {
    public var features: RequestFeatures
    /// ``PromptTraits/fingerprint(of:)`` of the prompt, or `nil` when it is too short to cache.
    public var prefixHash: Int64?

    public init(features: RequestFeatures = [], prefixHash: Int64? = nil) {
        self.features = features
        self.prefixHash = prefixHash
    }

    /// Bytes of prompt JSON the fingerprint covers: about 1,024 tokens, the shortest prefix
    /// OpenAI and Anthropic cache. A prompt shorter than this gets no fingerprint.
    public static let prefixBytes = 4_096

    /// Reads `index`, a chat body of any dialect: tools from `tools`; images from a content part
    /// of type `image_url` or `image` (OpenAI, Anthropic; also inside Anthropic tool results) in
    /// `messages`; the fingerprint over `tools`, then `system`, then `messages`, in the order
    /// providers cache a prefix.
    public init(_ index: JSONObjectIndex) {
        var features: RequestFeatures = []
        if let tools = index["tools"], let count = index.arrayCount(tools), count > 0 {
            features.insert(.tools)
        }
        if let messages = index["messages"], Self.hasImagePart(index.slice(messages)) {
            features.insert(.images)
        }
        let parts = ["tools", "system", "messages"].compactMap { index[$0] }.map { index.slice($0) }
        self.init(features: features, prefixHash: Self.fingerprint(of: parts))
    }

    /// Whether validated JSON `messages` holds an image part. Text without the letters `image`
    /// and without `\u` escapes cannot name one, so most prompts are settled by two byte
    /// searches; the others are walked as JSON.
    static func hasImagePart(_ messages: UnsafeRawBufferPointer) -> Bool {
        if ByteSearch.firstIndex(of: "image", in: messages) == nil && ByteSearch.firstIndex(of: "\\u", in: messages) == nil {
            return false
        }
        var reader = JSONReader(messages, maxDepth: 64)
        return (try? Self.imagePart(in: &reader)) ?? false
    }

    /// Walks the value at `reader` for an object whose `type` is `image_url` or `image` (a tool's
    /// `input` is the model's data, not a part, and is skipped).
    private static func imagePart(in reader: inout JSONReader) throws(JSONScanner.SyntaxError) -> Bool {
        switch try reader.peek() {
        case .array:
            try reader.enterArray()
            while try reader.nextElement() {
                if try Self.imagePart(in: &reader) {
                    try reader.leave()
                    return true
                }
            }
            return false
        case .object:
            try reader.enterObject()
            var found = false
            while let key = try reader.nextMember() {
                if found {
                    try reader.skipValue()
                } else if reader.key(key, is: "type") {
                    let type = try reader.readString()
                    found = type == "image_url" || type == "image"
                } else if reader.key(key, is: "input") {
                    try reader.skipValue()
                } else {
                    found = try Self.imagePart(in: &reader)
                }
            }
            return found
        default:
            try reader.skipValue()
            return false
        }
    }

    /// A stable 64-bit hash of the first ``prefixBytes`` bytes of `parts` taken in order, or `nil`
    /// when they hold fewer. Two prompts with the same first 4 KiB get the same value, on every
    /// run and machine (it is stored).
    public static func fingerprint(of parts: [UnsafeRawBufferPointer]) -> Int64? {
        var total = 0
        for part in parts { total += part.count }
        guard total >= Self.prefixBytes else { return nil }
        var hash: UInt64 = 0x9E37_79B9_7F4A_7C15
        var remaining = Self.prefixBytes
        for part in parts where remaining > 0 {
            let count = min(part.count, remaining)
            remaining -= count
            var offset = 0
            while offset + 8 <= count {
                let word = part.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                hash = Self.mix(hash ^ UInt64(littleEndian: word))
                offset += 8
            }
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while offset < count {
                tail |= UInt64(part[offset]) << shift
                shift += 8
                offset += 1
            }
            hash = Self.mix(hash ^ tail ^ UInt64(count))
        }
        return Int64(bitPattern: Self.finish(hash))
    }

    private static func mix(_ value: UInt64) -> UInt64 {
        let product = value &* 0xFF51_AFD7_ED55_8CCD
        return product ^ (product >> 29)
    }

    /// MurmurHash3's 64-bit finaliser.
    private static func finish(_ value: UInt64) -> UInt64 {
        var h = value
        h ^= h >> 33
        h = h &* 0xFF51_AFD7_ED55_8CCD
        h ^= h >> 33
        h = h &* 0xC4CE_B9FE_1A85_EC53
        h ^= h >> 33
        return h
    }
}
