/// Markup, links and scripts the injection detector's reader treats apart from words.
extension InjectionText {
    /// Counts chat-template control tokens and role markup that start at `index`, and notes
    /// where an HTML comment opens.
    mutating func countMarkup(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int, _ reader: inout Reader) {
        let next = index + 1 < bytes.count ? bytes[index + 1] : 0
        if bytes[index] == UInt8(ascii: "<"), next == UInt8(ascii: "|") {
            // `<|name|>`, the name in lower case as chat templates write it (`<|Rain|>` is a nick on IRC).
            var end = index + 2
            while end < bytes.count, end - index < 40,
                GuardByte.isLower(bytes[end]) || GuardByte.isDigit(bytes[end]) || bytes[end] == 0x5F
            {
                end += 1
            }
            if end > index + 2, end + 1 < bytes.count, bytes[end] == UInt8(ascii: "|"),
                bytes[end + 1] == UInt8(ascii: ">")
            {
                self.controlTokens += 1
            }
            return
        }
        if next == UInt8(ascii: "!"), bytes.guardHasPrefix("<!--", at: index) {
            reader.inComment = true
            return
        }
        for marker: StaticString in [
            "[inst]", "[/inst]", "<<sys>>", "<</sys>>", "<start_of_turn>", "<end_of_turn>", "</s>",
        ]
        where bytes.guardHasPrefix(marker, at: index) {
            self.controlTokens += 1
            return
        }
        var start = index + 1
        if start < bytes.count, bytes[start] == UInt8(ascii: "/") { start += 1 }
        for role: StaticString in ["system", "instructions", "instruction", "developer", "admin", "sys"]
        where bytes.guardHasPrefix(role, at: start) {
            let end = start + role.utf8CodeUnitCount
            if end < bytes.count, bytes[end] == UInt8(ascii: ">") || bytes[end] == UInt8(ascii: "]") {
                self.roleTags += 1
                return
            }
        }
    }

    /// A markdown link target at `index` (the `(` after `]`): counts it when it is a web
    /// address whose query holds a placeholder for data, the shape of exfiltration through a
    /// rendered image or a link (`![x](https://host/p.png?q={conversation})`). Reads at most
    /// 512 bytes ahead and 256 back.
    mutating func countLink(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) {
        let start = index + 1
        guard bytes.guardHasPrefix("http", at: start) else { return }
        var position = start + 4
        var query = false
        var placeholder = false
        var capitals = 0
        var underscore = false
        while position < bytes.count, position - start < 512 {
            let byte = bytes[position]
            if byte == UInt8(ascii: ")") || byte == 0x20 || byte == 0x0A || byte == 0x22 { break }
            if byte == UInt8(ascii: "?") { query = true }
            if query {
                switch byte {
                case UInt8(ascii: "{"), UInt8(ascii: "$"), UInt8(ascii: "<"), UInt8(ascii: "["):
                    placeholder = true
                case UInt8(ascii: "%"):
                    // `%7B` is an encoded `{`.
                    if position + 2 < bytes.count, bytes[position + 1] == UInt8(ascii: "7"),
                        bytes[position + 2] | 0x20 == UInt8(ascii: "b")
                    {
                        placeholder = true
                    }
                case UInt8(ascii: "_"):
                    underscore = true
                default:
                    if GuardByte.isUpper(byte) {
                        capitals += 1
                    } else if GuardByte.isLower(byte) {
                        capitals = 0
                        underscore = false
                    }
                }
                // A value in capitals with underscores (`USER_CONVERSATION`) names what to fill in.
                if capitals >= 4, underscore { placeholder = true }
            }
            position += 1
        }
        guard query, placeholder else { return }
        var back = index - 1
        while back > 0, index - back < 256, bytes[back] != UInt8(ascii: "[") { back -= 1 }
        if back > 0, bytes[back] == UInt8(ascii: "["), bytes[back - 1] == UInt8(ascii: "!") {
            self.exfiltrationImages += 1
        } else {
            self.exfiltrationLinks += 1
        }
    }

    /// Reads Chinese or Japanese text from `index` by longest match against the vocabulary (up
    /// to four characters a word); characters that start no vocabulary word are skipped, and a
    /// long stretch of them counts as one unknown word, so that phrases do not reach across it.
    /// Returns the index after the characters read.
    mutating func readIdeographs(_ bytes: UnsafeBufferPointer<UInt8>, at start: Int, _ reader: inout Reader) -> Int {
        var index = start
        while index < bytes.count {
            let (scalar, length) = Self.decode(bytes, at: index)
            guard Self.isIdeograph(scalar) else { break }
            var hash = GuardHash.seed
            var position = index
            var best = 0
            var bestClasses = InjectionVocabulary.Classes()
            for _ in 0..<4 {
                guard position < bytes.count else { break }
                let (next, nextLength) = Self.decode(bytes, at: position)
                guard Self.isIdeograph(next) else { break }
                for offset in 0..<nextLength { hash = GuardHash.add(bytes[position + offset], to: hash) }
                position += nextLength
                let classes = self.vocabulary.classes(of: hash)
                if !classes.isEmpty {
                    best = position
                    bestClasses = classes
                }
            }
            if best > 0 {
                self.append(bestClasses, folded: false, &reader)
                reader.unmatchedIdeographs = 0
                index = best
            } else {
                reader.unmatchedIdeographs += 1
                if reader.unmatchedIdeographs == 8 {
                    self.append(InjectionVocabulary.Classes(), folded: false, &reader)
                    reader.unmatchedIdeographs = 0
                }
                index += length
            }
        }
        return index
    }

    /// Chinese characters, hiragana and katakana (not CJK punctuation).
    @inline(__always) static func isIdeograph(_ scalar: UInt32) -> Bool {
        (0x3041...0x30FF).contains(scalar) || (0x3400...0x4DBF).contains(scalar) || (0x4E00...0x9FFF).contains(scalar)
    }

    /// Cyrillic and Greek letters, whose words are also looked up as written.
    @inline(__always) static func isScriptLetter(_ scalar: UInt32) -> Bool {
        (0x0386...0x03FF).contains(scalar) || (0x0400...0x04FF).contains(scalar)
    }

    /// A Cyrillic or Greek letter in lower case.
    static func lowercasedScript(_ scalar: UInt32) -> UInt32 {
        switch scalar {
        case 0x0410...0x042F: scalar + 0x20
        case 0x0400...0x040F: scalar + 0x50
        case 0x0391...0x03A9: scalar + 0x20
        default: scalar
        }
    }

    /// Decodes the UTF-8 scalar at `index`; an invalid sequence decodes as U+FFFD, one byte long.
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> (UInt32, Int) {
        let lead = bytes[index]
        if lead < 0x80 { return (UInt32(lead), 1) }
        let count = bytes.count
        func continuation(_ offset: Int) -> UInt32? {
            guard index + offset < count else { return nil }
            let byte = bytes[index + offset]
            return byte & 0xC0 == 0x80 ? UInt32(byte & 0x3F) : nil
        }
        if lead & 0xE0 == 0xC0, let b1 = continuation(1) {
            return ((UInt32(lead & 0x1F) << 6) | b1, 2)
        }
        if lead & 0xF0 == 0xE0, let b1 = continuation(1), let b2 = continuation(2) {
            return ((UInt32(lead & 0x0F) << 12) | (b1 << 6) | b2, 3)
        }
        if lead & 0xF8 == 0xF0, let b1 = continuation(1), let b2 = continuation(2), let b3 = continuation(3) {
            return ((UInt32(lead & 0x07) << 18) | (b1 << 12) | (b2 << 6) | b3, 4)
        }
        return (0xFFFD, 1)
    }
}
