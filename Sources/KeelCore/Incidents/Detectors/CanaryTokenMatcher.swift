/// A canary token: a secret string an operator places in system prompts. It has no reason to
/// appear in an answer; when it does, the system prompt leaked.
public struct CanaryToken: Sendable, Equatable {
    public var name: String
    public var token: String

    public init(name: String, token: String) {
        self.name = name
        self.token = token
    }

    /// Whether `token` is usable: 8 to 128 letters, digits, `-`, `_`, `.` or `:` (bytes a JSON
    /// writer never escapes, so a complete answer's body is searched as it came).
    public static func isValid(_ token: String) -> Bool {
        (8...128).contains(token.utf8.count)
            && token.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                    UInt8(ascii: ":"):
                    true
                default: false
                }
            }
    }
}

/// Finds canary tokens in an answer that arrives in pieces (stream deltas), a token split over
/// several pieces included: it keeps the last `longest − 1` bytes of what it read. Each token is
/// reported once per answer.
public struct CanaryTokenMatcher: Sendable {
    public let tokens: [CanaryToken]
    private let needles: [[UInt8]]
    private let keep: Int
    private var tail: [UInt8] = []
    private var found: [Bool]

    public init(tokens: [CanaryToken]) {
        self.tokens = tokens
        self.needles = tokens.map { Array($0.token.utf8) }
        self.keep = max(0, (self.needles.map(\.count).max() ?? 0) - 1)
        self.found = Array(repeating: false, count: tokens.count)
    }

    /// Reads the next piece of the answer's text; returns the tokens it completes.
    public mutating func feed(_ piece: String) -> [CanaryToken] {
        guard !self.needles.isEmpty, !piece.isEmpty else { return [] }
        var window = self.tail
        window.append(contentsOf: piece.utf8)
        var new: [CanaryToken] = []
        window.withUnsafeBytes { bytes in
            for index in self.needles.indices where !self.found[index] {
                if Self.contains(bytes, self.needles[index]) {
                    self.found[index] = true
                    new.append(self.tokens[index])
                }
            }
        }
        self.tail = Array(window.suffix(self.keep))
        return new
    }

    /// The tokens `bytes` (a complete answer's body) contains; the matcher's state is not used.
    public func tokens(in bytes: UnsafeRawBufferPointer) -> [CanaryToken] {
        self.needles.indices.filter { Self.contains(bytes, self.needles[$0]) }.map { self.tokens[$0] }
    }

    /// The tokens of `tokens` that `bytes` contains.
    public static func tokens(_ tokens: [CanaryToken], in bytes: UnsafeRawBufferPointer) -> [CanaryToken] {
        CanaryTokenMatcher(tokens: tokens).tokens(in: bytes)
    }

    static func contains(_ haystack: UnsafeRawBufferPointer, _ needle: [UInt8]) -> Bool {
        guard let first = needle.first, haystack.count >= needle.count else { return needle.isEmpty }
        var start = 0
        let last = haystack.count - needle.count
        while start <= last {
            guard haystack[start] == first else {
                start += 1
                continue
            }
            var matched = true
            for offset in 1..<needle.count where haystack[start + offset] != needle[offset] {
                matched = false
                break
            }
            if matched { return true }
            start += 1
        }
        return false
    }
}
