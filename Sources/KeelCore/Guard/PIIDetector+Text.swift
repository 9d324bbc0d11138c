/// Parsers for values made of letters and punctuation: e-mail addresses, URLs, IPv6
/// addresses, IBANs and street addresses.
extension PIIDetector.Scanner {
    /// An e-mail address around the `@` at `at`: a local part of letters, digits and
    /// `. _ % + -` (plus tags included), and a domain of at least two dot-separated labels whose
    /// last is two or more letters (`a@b.example.co.uk`). Refuses `@` without a domain
    /// (`@mention`), a domain without a dot, and labels that start or end with `-`.
    mutating func email(at: Int) {
        var start = at
        while start > 0, Self.isLocalPart(self.bytes[start - 1]) { start -= 1 }
        while start < at, self.bytes[start] == UInt8(ascii: ".") { start += 1 }
        guard start < at, start >= self.resume, self.bytes[at - 1] != UInt8(ascii: ".") else { return }
        guard let end = self.domain(from: at + 1, minimumLabels: 2) else { return }
        self.add(.email, start, end)
    }

    /// Letters, digits, `. _ % + -`, and non-ASCII bytes (internationalised addresses, RFC 6531).
    static func isLocalPart(_ byte: UInt8) -> Bool {
        GuardByte.isAlphanumeric(byte) || byte >= 0x80 || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_")
            || byte == UInt8(ascii: "%") || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-")
    }

    /// A host name from `start`: labels of letters, digits, inner dashes and non-ASCII letters
    /// (internationalised names) joined by single dots, the last one all ASCII letters and at
    /// least two long. Returns the end offset.
    func domain(from start: Int, minimumLabels: Int) -> Int? {
        var index = start
        var labels = 0
        var lastLabelStart = start
        var end: Int?
        while true {
            let labelStart = index
            while GuardByte.isAlphanumeric(self[index]) || self[index] == UInt8(ascii: "-") || self[index] >= 0x80 {
                index += 1
            }
            guard index > labelStart, self[labelStart] != UInt8(ascii: "-"), self[index - 1] != UInt8(ascii: "-"),
                index - labelStart <= 63
            else { break }
            labels += 1
            lastLabelStart = labelStart
            if labels >= minimumLabels, (lastLabelStart..<index).allSatisfy({ GuardByte.isLetter(self.bytes[$0]) }),
                index - lastLabelStart >= 2
            {
                end = index
            }
            guard self[index] == UInt8(ascii: "."), GuardByte.isAlphanumeric(self[index + 1]) else { break }
            index += 1
        }
        guard let end, !GuardByte.isAlphanumeric(self[end]), self[end] != UInt8(ascii: "@") else { return nil }
        return end
    }

    /// A URL that starts with `http://`, `https://`, `ftp://` or `www.`, up to the first space,
    /// quote or angle bracket; trailing punctuation of the sentence (`.,;:!?`) and an unmatched
    /// closing bracket are left out. Bare domains (`example.com`) are not taken: in prose they
    /// are names more often than links.
    func url(from start: Int) -> Int? {
        var index: Int
        if self.bytes.guardHasPrefix("https://", at: start) {
            index = start + 8
        } else if self.bytes.guardHasPrefix("http://", at: start) || self.bytes.guardHasPrefix("ftp://", at: start) {
            index = start + (GuardByte.lowercased(self.bytes[start]) == UInt8(ascii: "h") ? 7 : 6)
        } else if self.bytes.guardHasPrefix("www.", at: start) {
            index = start + 4
        } else {
            return nil
        }
        guard GuardByte.isAlphanumeric(self[index]) || self[index] == UInt8(ascii: "[") else { return nil }
        var parentheses = 0
        var brackets = 0
        while index < self.bytes.count {
            let byte = self.bytes[index]
            if byte <= 0x20 || byte >= 0x7F || byte == 0x22 || byte == 0x27 || byte == 0x3C || byte == 0x3E
                || byte == 0x60
                || byte == 0x7B || byte == 0x7D || byte == 0x7C || byte == 0x5C
            {
                break
            }
            if byte == UInt8(ascii: "(") { parentheses += 1 }
            if byte == UInt8(ascii: ")") {
                if parentheses == 0 { break }
                parentheses -= 1
            }
            if byte == UInt8(ascii: "[") { brackets += 1 }
            if byte == UInt8(ascii: "]") {
                if brackets == 0 { break }
                brackets -= 1
            }
            index += 1
        }
        while index > start {
            let last = self.bytes[index - 1]
            guard last == 0x2E || last == 0x2C || last == 0x3B || last == 0x3A || last == 0x21 || last == 0x3F else {
                break
            }
            index -= 1
        }
        return index - start > 4 ? index : nil
    }

    /// An IPv6 address: up to eight groups of one to four hex digits joined by `:`, with at
    /// most one `::` standing for the groups left out, or six groups and an IPv4 address
    /// (`::ffff:192.0.2.1`). Without `::` all eight groups must be there, so times (`12:34:56`)
    /// and MAC addresses (six groups) are refused; a compressed form needs a digit (`a::b` in code
    /// is refused, `fe80::1` and `::1` are taken).
    func ipv6(from start: Int) -> Int? {
        // Cheap rejection: a colon must come within the first five bytes.
        var probe = start
        while probe < start + 5, self[probe] != UInt8(ascii: ":") {
            guard GuardByte.isHexDigit(self[probe]) else { return nil }
            probe += 1
        }
        guard self[probe] == UInt8(ascii: ":") else { return nil }
        var index = start
        var groups = 0
        var compressed = false
        var sawDigit = false
        var end = start
        if self[index] == UInt8(ascii: ":") {
            guard self[index + 1] == UInt8(ascii: ":") else { return nil }
            compressed = true
            index += 2
            end = index
        }
        while groups < 8 {
            let groupStart = index
            while GuardByte.isHexDigit(self[index]), index - groupStart < 5 {
                if GuardByte.isDigit(self[index]) { sawDigit = true }
                index += 1
            }
            let length = index - groupStart
            if length == 0 { break }
            if length > 4 { return nil }
            if self[index] == UInt8(ascii: "."), groups <= 6, let tail = self.ipv4(from: groupStart) {
                groups += 2
                end = tail
                index = tail
                break
            }
            groups += 1
            end = index
            guard self[index] == UInt8(ascii: ":") else { break }
            if self[index + 1] == UInt8(ascii: ":") {
                if compressed { return nil }
                compressed = true
                index += 2
                end = index
            } else if GuardByte.isHexDigit(self[index + 1]) {
                index += 1
            } else {
                break
            }
        }
        guard sawDigit, compressed ? groups <= 7 : groups == 8 else { return nil }
        let next = self[end]
        if GuardByte.isAlphanumeric(next) || next == UInt8(ascii: ":") || next == UInt8(ascii: "_") { return nil }
        return end
    }

    /// An IBAN: a country code, two check digits and the account part, written without spaces
    /// or in groups of four (`DE89 3704 0044 0532 0130 00`), the length the country's IBAN has,
    /// and a mod 97 check that gives 1. Lower case is accepted and upper-cased for the check.
    func iban(from start: Int) -> Int? {
        guard GuardByte.isUpper(self[start]), GuardByte.isUpper(self[start + 1]), GuardByte.isDigit(self[start + 2]),
            GuardByte.isDigit(self[start + 3]), let length = GuardChecksum.ibanLength(self[start], self[start + 1])
        else { return nil }
        var characters: [UInt8] = []
        characters.reserveCapacity(length)
        var index = start
        var sinceSpace = 0
        while characters.count < length {
            let byte = self[index]
            if GuardByte.isAlphanumeric(byte) {
                characters.append(GuardByte.isLower(byte) ? byte - 0x20 : byte)
                sinceSpace += 1
                index += 1
            } else if byte == 0x20, sinceSpace == 4, GuardByte.isAlphanumeric(self[index + 1]) {
                sinceSpace = 0
                index += 1
            } else {
                return nil
            }
        }
        guard !GuardByte.isAlphanumeric(self[index]), GuardChecksum.iban(characters) else { return nil }
        return index
    }

    /// A street address: a house number (`221B`, `12-14`), one to four capitalised words,
    /// ordinals or compass points, and a street type (`Street`, `Ave.`, `Blvd`, `Road`, …),
    /// then, when present, a unit (`Apt 4B`, `Suite 200`) and `, City, ST 12345`. Refuses a
    /// number followed by lower-case words (`12 main points`).
    func streetAddress(from start: Int) -> Int? {
        guard let house = self.number(from: start, maximum: 6) else { return nil }
        var index = house.end
        if GuardByte.isUpper(self[index]), !GuardByte.isLetter(self[index + 1]) { index += 1 }
        if self[index] == UInt8(ascii: "-"), let second = self.number(from: index + 1, maximum: 6) {
            index = second.end
        }
        guard self[index] == 0x20 else { return nil }
        var words = 0
        var end: Int?
        while words < 5 {
            let wordStart = index + 1
            guard let wordEnd = self.capitalisedWord(from: wordStart) else { break }
            if words > 0, let suffixEnd = self.streetType(wordStart, wordEnd) {
                end = suffixEnd
                break
            }
            words += 1
            index = wordEnd
            guard self[index] == 0x20 else { break }
        }
        guard var end else { return nil }
        end = self.extendWithUnit(end)
        return self.extendWithCity(end)
    }

    /// A capitalised word (`Main`, `O'Neil`, `St.`), an ordinal (`5th`) or a compass point
    /// (`NW`): returns its end.
    func capitalisedWord(from start: Int) -> Int? {
        if GuardByte.isDigit(self[start]) {
            guard let number = self.number(from: start, maximum: 3) else { return nil }
            for suffix: StaticString in ["st", "nd", "rd", "th"] where self.bytes.guardHasPrefix(suffix, at: number.end)
            {
                if !GuardByte.isLetter(self[number.end + 2]) { return number.end + 2 }
            }
            return nil
        }
        guard GuardByte.isUpper(self[start]) else { return nil }
        var index = start + 1
        while GuardByte.isLetter(self[index])
            || (self[index] == 0x27 || self[index] == 0x2D) && GuardByte.isLetter(self[index + 1])
        {
            index += 1
        }
        if self[index] == UInt8(ascii: ".") { index += 1 }
        return index - start <= 20 ? index : nil
    }

    /// The end of a street type word; a dot after it is kept only after an abbreviation (`St.`),
    /// since after a full word (`Street.`) it ends the sentence.
    private func streetType(_ start: Int, _ end: Int) -> Int? {
        var wordEnd = end
        if self[wordEnd - 1] == UInt8(ascii: ".") { wordEnd -= 1 }
        let length = wordEnd - start
        for type in Self.streetAbbreviations
        where type.utf8CodeUnitCount == length && self.bytes.guardHasPrefix(type, at: start) {
            // `Main St.` at the end of a sentence: the dot is the sentence's.
            let sentenceEnds =
                end >= self.bytes.count || (self[end] == 0x20 || self[end] == 0x0A) && !GuardByte.isLower(self[end + 1])
            return wordEnd < end && sentenceEnds && self[end] != UInt8(ascii: ",") ? wordEnd : end
        }
        for type in Self.streetTypes
        where type.utf8CodeUnitCount == length && self.bytes.guardHasPrefix(type, at: start) {
            return wordEnd
        }
        return nil
    }

    static let streetAbbreviations: [StaticString] = [
        "st", "ave", "av", "rd", "blvd", "ln", "dr", "ct", "pl", "ter", "pkwy", "cir", "hwy", "sq", "trl",
    ]
    static let streetTypes: [StaticString] = [
        "street", "avenue", "road", "boulevard", "lane", "drive", "court", "way", "place", "terrace", "parkway",
        "circle",
        "highway", "square", "trail", "alley", "plaza", "crescent", "close", "row", "path", "pike", "loop",
    ]

    private func extendWithUnit(_ end: Int) -> Int {
        var index = end
        if self[index] == UInt8(ascii: ",") { index += 1 }
        guard self[index] == 0x20 else { return end }
        index += 1
        var afterKeyword: Int?
        for unit: StaticString in ["apartment", "apt", "suite", "ste", "unit", "floor", "fl", "room", "#"]
        where self.bytes.guardHasPrefix(unit, at: index) {
            var position = index + unit.utf8CodeUnitCount
            if self[position] == UInt8(ascii: ".") { position += 1 }
            if self[position] == 0x20 { position += 1 }
            if self[position] == UInt8(ascii: "#") { position += 1 }
            afterKeyword = position
            break
        }
        guard let start = afterKeyword, GuardByte.isAlphanumeric(self[start]) else { return end }
        var position = start
        while GuardByte.isAlphanumeric(self[position]) || self[position] == 0x2D, position - start < 8 { position += 1 }
        return GuardByte.isAlphanumeric(self[position]) ? end : position
    }

    private func extendWithCity(_ end: Int) -> Int {
        guard self[end] == UInt8(ascii: ","), self[end + 1] == 0x20 else { return end }
        var index = end + 2
        var words = 0
        while words < 3, let wordEnd = self.capitalisedWord(from: index), !GuardByte.isDigit(self[index]) {
            words += 1
            index = wordEnd
            if self[index] == 0x20, GuardByte.isUpper(self[index + 1]), GuardByte.isLower(self[index + 2]) {
                index += 1
            } else {
                break
            }
        }
        guard words > 0, self[index] == UInt8(ascii: ","), self[index + 1] == 0x20 else { return end }
        index += 2
        guard GuardByte.isUpper(self[index]), GuardByte.isUpper(self[index + 1]), self[index + 2] == 0x20,
            let zip = self.number(from: index + 3, maximum: 5), zip.length == 5
        else {
            return end
        }
        index = zip.end
        if self[index] == UInt8(ascii: "-"), let plusFour = self.number(from: index + 1, maximum: 4),
            plusFour.length == 4
        {
            index = plusFour.end
        }
        return GuardByte.isAlphanumeric(self[index]) ? end : index
    }
}
