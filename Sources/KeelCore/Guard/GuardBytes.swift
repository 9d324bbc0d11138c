/// ASCII byte classes the hand-written detectors test, one comparison or two each.
///
/// The detectors walk UTF-8 bytes rather than `Character`s: grapheme breaking costs more than
/// the whole scan, and every pattern they look for is ASCII. A byte of a multi-byte scalar is
/// never ASCII, so it always ends a token.
enum GuardByte {
    @inline(__always) static func isDigit(_ byte: UInt8) -> Bool { byte &- 0x30 < 10 }
    @inline(__always) static func isUpper(_ byte: UInt8) -> Bool { byte &- 0x41 < 26 }
    @inline(__always) static func isLower(_ byte: UInt8) -> Bool { byte &- 0x61 < 26 }
    @inline(__always) static func isLetter(_ byte: UInt8) -> Bool { (byte | 0x20) &- 0x61 < 26 }
    @inline(__always) static func isAlphanumeric(_ byte: UInt8) -> Bool { Self.isLetter(byte) || Self.isDigit(byte) }
    @inline(__always) static func isHexDigit(_ byte: UInt8) -> Bool { Self.isDigit(byte) || (byte | 0x20) &- 0x61 < 6 }
    @inline(__always) static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }
    @inline(__always) static func lowercased(_ byte: UInt8) -> UInt8 { Self.isUpper(byte) ? byte | 0x20 : byte }
    /// Letters, digits and `_`: the characters of an identifier-like token.
    @inline(__always) static func isWord(_ byte: UInt8) -> Bool { Self.isAlphanumeric(byte) || byte == 0x5F }
    @inline(__always) static func digitValue(_ byte: UInt8) -> Int { Int(byte &- 0x30) }
    @inline(__always) static func hexValue(_ byte: UInt8) -> UInt8 {
        Self.isDigit(byte) ? byte &- 0x30 : (byte | 0x20) &- 0x61 &+ 10
    }
}

/// A match in byte offsets of the UTF-8 text, before conversion to the scalar offsets of a
/// ``GuardFinding``.
struct GuardByteMatch: Sendable, Equatable {
    var type: GuardFindingType
    var start: Int
    var end: Int
}

/// Read-only helpers over the scanned UTF-8 bytes.
extension UnsafeBufferPointer<UInt8> {
    /// Whether the bytes at `index` equal `word`, compared without regard to ASCII case.
    /// `word` must be lower-case ASCII.
    func guardHasPrefix(_ word: StaticString, at index: Int) -> Bool {
        let count = word.utf8CodeUnitCount
        guard index >= 0, index + count <= self.count else { return false }
        let needle = word.utf8Start
        for offset in 0..<count where GuardByte.lowercased(self[index + offset]) != needle[offset] { return false }
        return true
    }

    /// Whether one of the context words appears, as a whole word, in the `window` bytes before
    /// `index`. Words must be lower-case ASCII.
    func guardHasContext(_ words: [StaticString], before index: Int, window: Int) -> Bool {
        let low = Swift.max(0, index - window)
        var position = low
        while position < index {
            let byte = GuardByte.lowercased(self[position])
            if GuardByte.isLetter(byte), position == 0 || !GuardByte.isLetter(self[position - 1]) {
                for word in words where word.utf8Start[0] == byte && self.guardHasPrefix(word, at: position) {
                    let after = position + word.utf8CodeUnitCount
                    if after >= self.count || !GuardByte.isLetter(self[after]) { return true }
                }
            }
            position += 1
        }
        return false
    }

    /// The matched bytes as a `String`.
    func guardString(_ start: Int, _ end: Int) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: self[start..<end]), as: UTF8.self)
    }
}

/// Converts byte matches into findings with Unicode scalar offsets.
enum GuardScalarOffsets {
    /// The findings that `collect` reports on the UTF-8 bytes of `text`.
    static func findings(
        in text: String,
        _ collect: (UnsafeBufferPointer<UInt8>, inout [GuardByteMatch]) -> Void
    ) -> [GuardFinding] {
        var text = text
        return text.withUTF8 { bytes in
            var matches: [GuardByteMatch] = []
            collect(bytes, &matches)
            return Self.findings(matches, in: bytes)
        }
    }

    /// The findings of `matches`, sorted by start then by end, with offsets counted in Unicode
    /// scalars of `bytes` (a scalar starts at every byte that is not a UTF-8 continuation byte).
    /// One pass over the bytes up to the last match, whatever the number of matches.
    static func findings(_ matches: [GuardByteMatch], in bytes: UnsafeBufferPointer<UInt8>) -> [GuardFinding] {
        guard !matches.isEmpty else { return [] }
        let sorted = matches.sorted { ($0.start, $0.end) < ($1.start, $1.end) }
        var boundaries: [Int] = []
        boundaries.reserveCapacity(sorted.count * 2)
        for match in sorted {
            boundaries.append(match.start)
            boundaries.append(match.end)
        }
        boundaries.sort()
        var scalarAt: [Int: Int] = [:]
        var scalars = 0
        var position = 0
        for boundary in boundaries {
            // Eight bytes at a time: a continuation byte is the one scalar boundary that is not.
            while position + 8 <= boundary {
                let word = UnsafeRawPointer(bytes.baseAddress! + position).loadUnaligned(as: UInt64.self)
                let continuations = word & ~(word << 1) & 0x8080_8080_8080_8080
                scalars += 8 - continuations.nonzeroBitCount
                position += 8
            }
            while position < boundary {
                if bytes[position] & 0xC0 != 0x80 { scalars += 1 }
                position += 1
            }
            scalarAt[boundary] = scalars
        }
        return sorted.map { match in
            GuardFinding(
                type: match.type,
                start: scalarAt[match.start]!,
                end: scalarAt[match.end]!,
                text: bytes.guardString(match.start, match.end)
            )
        }
    }
}
