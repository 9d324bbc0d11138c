/// Puts redacted values back into an answer that arrives chunk by chunk.
///
/// A placeholder can be split across chunks (`[EMA` then `IL_1]`), so the restorer holds back
/// the end of a chunk while it could still be the start of a placeholder the map handed out,
/// and never emits part of one. It holds at most the bytes of one unfinished placeholder: text
/// that can no longer become a placeholder is released at once, so the stream is delayed by at
/// most one event. Call ``finish()`` after the last chunk to release what is held.
public struct StreamingRestorer: Sendable {
    private let map: RedactionMap
    /// Every proper prefix of every placeholder, `[` included.
    private let prefixes: Set<String>
    private var held: [UInt8] = []

    public init(map: RedactionMap) {
        self.map = map
        var prefixes = Set<String>()
        for placeholder in map.placeholders {
            let bytes = Array(placeholder.utf8)
            for length in 1..<bytes.count { prefixes.insert(String(decoding: bytes[0..<length], as: UTF8.self)) }
        }
        self.prefixes = prefixes
    }

    /// The number of bytes held back, waiting for the next chunk.
    public var heldBytes: Int { self.held.count }

    /// The text of `chunk`, and of what was held before it, that can be emitted now, with
    /// complete placeholders replaced by their values.
    public mutating func restore(_ chunk: String) -> String {
        self.held.append(contentsOf: chunk.utf8)
        return self.drain(final: false)
    }

    /// What is still held, emitted as it is: the stream has ended.
    public mutating func finish() -> String {
        self.drain(final: true)
    }

    private mutating func drain(final: Bool) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(self.held.count)
        let bytes = self.held
        let longest = self.map.longestPlaceholder
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            guard byte == UInt8(ascii: "["), longest > 0 else {
                output.append(byte)
                index += 1
                continue
            }
            // A complete placeholder of the map?
            var end = index + 1
            while end < bytes.count, end - index < longest, bytes[end] != UInt8(ascii: "]"),
                bytes[end] != UInt8(ascii: "[")
            {
                end += 1
            }
            if end < bytes.count, bytes[end] == UInt8(ascii: "]") {
                let candidate = String(decoding: bytes[index...end], as: UTF8.self)
                if let value = self.map.value(for: candidate) {
                    output.append(contentsOf: value.utf8)
                    index = end + 1
                    continue
                }
            } else if !final, end == bytes.count {
                // The rest may still become a placeholder: hold it if it is the start of one.
                let rest = String(decoding: bytes[index...], as: UTF8.self)
                if self.prefixes.contains(rest) {
                    self.held = Array(bytes[index...])
                    return String(decoding: output, as: UTF8.self)
                }
            }
            output.append(byte)
            index += 1
        }
        self.held = []
        return String(decoding: output, as: UTF8.self)
    }
}
