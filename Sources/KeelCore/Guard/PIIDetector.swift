/// Finds personal and health data (PII/PHI) in text: one linear pass over the UTF-8 bytes for
/// values with a structure of their own, and a pass over words for values that only a context
/// word identifies.
///
/// Structured values are checked as far as their format allows (Luhn for cards, mod 97 for
/// IBANs, SSA rules for SSNs, octet ranges for IPv4), because a look-alike that is flagged gets
/// redacted, and a prompt whose order numbers turn into `[PHONE_1]` is a worse prompt. Values
/// without a structure (dates of birth, record and plan numbers) are only taken after a context
/// word. Person names are a heuristic: an honorific, a context phrase or a common first name
/// before capitalised words; expect misses on names that appear bare.
///
/// There are no regular expressions: every pattern is a hand-written scanner that reads each
/// byte a bounded number of times, so the cost is linear in the input whatever it holds.
/// The detector holds no state, so one instance serves every request.
public struct PIIDetector: Sendable {
    /// The types this detector reports; the others are not looked for.
    public let types: Set<GuardFindingType>
    let enabled: Enabled

    /// - Parameter types: the personal data types to report; credential types are ignored.
    public init(types: some Sequence<GuardFindingType> = GuardFindingType.personalData) {
        self.types = Set(types.filter { !$0.isSecret })
        self.enabled = Enabled(self.types)
    }

    /// The personal data in `text`, sorted by start offset, with Unicode scalar offsets.
    public func findings(in text: String) -> [GuardFinding] {
        GuardScalarOffsets.findings(in: text, self.collect)
    }

    /// Appends the byte ranges of the personal data in `bytes` to `matches`. A match that lies
    /// inside another one (an IP address inside a URL) is dropped, so findings never nest.
    func collect(in bytes: UnsafeBufferPointer<UInt8>, into matches: inout [GuardByteMatch]) {
        guard !self.types.isEmpty, !bytes.isEmpty else { return }
        var scanner = Scanner(bytes: bytes, enabled: self.enabled)
        scanner.scanStructure()
        guard !scanner.matches.isEmpty else { return }
        scanner.matches.sort { ($0.start, -$0.end) < ($1.start, -$1.end) }
        var outerEnd = -1
        for match in scanner.matches where match.end > outerEnd {
            matches.append(match)
            outerEnd = match.end
        }
    }

    /// Flags for the enabled types, read once per candidate rather than hashing into a `Set`.
    struct Enabled: Sendable {
        var email, phone, ssn, card, iban, ip, url, dateOfBirth, medicalRecord, healthPlan, address, name: Bool
        /// Whether any type announced by a context word is on.
        var contextCues: Bool

        init(_ types: Set<GuardFindingType>) {
            self.email = types.contains(.email)
            self.phone = types.contains(.phone)
            self.ssn = types.contains(.usSSN)
            self.card = types.contains(.paymentCard)
            self.iban = types.contains(.iban)
            self.ip = types.contains(.ipAddress)
            self.url = types.contains(.url)
            self.dateOfBirth = types.contains(.dateOfBirth)
            self.medicalRecord = types.contains(.medicalRecordNumber)
            self.healthPlan = types.contains(.healthPlanNumber)
            self.address = types.contains(.streetAddress)
            self.name = types.contains(.personName)
            self.contextCues = self.dateOfBirth || self.medicalRecord || self.healthPlan || self.ssn || self.name
        }
    }

    /// The state of one scan: the bytes, the matches so far, and where the last match ended so
    /// that no candidate starts inside a value already found.
    struct Scanner {
        let bytes: UnsafeBufferPointer<UInt8>
        let enabled: Enabled
        var matches: [GuardByteMatch] = []
        var resume = 0
        /// Where each phone context word ends ("call", "tel", "mobile"), in order.
        var phoneCues: [Int] = []
        init(bytes: UnsafeBufferPointer<UInt8>, enabled: Enabled) {
            self.bytes = bytes
            self.enabled = enabled
        }

        subscript(_ index: Int) -> UInt8 { index >= 0 && index < self.bytes.count ? self.bytes[index] : 0 }

        mutating func add(_ type: GuardFindingType, _ start: Int, _ end: Int) {
            self.matches.append(GuardByteMatch(type: type, start: start, end: end))
            self.resume = max(self.resume, end)
        }

        /// One pass that tries, at each place a structured value can begin, the parsers for the
        /// values that begin that way. Each parser reads a bounded number of bytes.
        mutating func scanStructure() {
            let count = self.bytes.count
            var index = 0
            while index < count {
                let byte = self.bytes[index]
                if index < self.resume {
                    index += 1
                    continue
                }
                let previous = index > 0 ? self.bytes[index - 1] : 0
                if GuardByte.isDigit(byte) {
                    if !GuardByte.isDigit(previous) { self.digitsStart(at: index) }
                } else if byte == UInt8(ascii: "@") {
                    if self.enabled.email { self.email(at: index) }
                } else if byte == UInt8(ascii: "(") || byte == UInt8(ascii: "+") {
                    if self.enabled.phone, GuardByte.isDigit(self[index + 1]), !GuardByte.isAlphanumeric(previous) {
                        if let end = self.phone(from: index) { self.add(.phone, index, end) }
                    }
                } else if GuardByte.isLetter(byte), !GuardByte.isWord(previous) {
                    let letters = self.wordStart(at: index)
                    // No value starts inside a word: go to its last letter or digit.
                    if self.resume <= index {
                        index = letters - 1
                        while index + 1 < count, GuardByte.isAlphanumeric(self.bytes[index + 1]) { index += 1 }
                    }
                } else if byte == UInt8(ascii: ":"), self[index + 1] == UInt8(ascii: ":"), self.enabled.ip,
                    !GuardByte.isAlphanumeric(previous) && previous != UInt8(ascii: ":")
                {
                    if let end = self.ipv6(from: index) { self.add(.ipAddress, index, end) }
                }
                index += 1
            }
        }

        /// A run of digits that follows no digit: a card, an SSN, a phone number, an IPv4
        /// address, an IPv6 address that starts with a digit, or a street number.
        mutating func digitsStart(at index: Int) {
            let previous = self[index - 1]
            // Inside a larger token (`v1.2`, `A-123`, `x9`): not the start of a value.
            if GuardByte.isLetter(previous) || previous == UInt8(ascii: "_") { return }
            let joined = previous == UInt8(ascii: ".") || previous == UInt8(ascii: "-") || previous == UInt8(ascii: "/")
            if joined, GuardByte.isAlphanumeric(self[index - 2]) { return }
            if self.enabled.ip, let end = self.ipv6(from: index) {
                self.add(.ipAddress, index, end)
                return
            }
            if self.enabled.ip, let end = self.ipv4(from: index) {
                self.add(.ipAddress, index, end)
                return
            }
            if self.enabled.card, let end = self.paymentCard(from: index) {
                self.add(.paymentCard, index, end)
                return
            }
            if self.enabled.ssn, let end = self.socialSecurityNumber(from: index) {
                self.add(.usSSN, index, end)
                return
            }
            if self.enabled.phone, let end = self.phone(from: index) {
                self.add(.phone, index, end)
                return
            }
            if self.enabled.address, let end = self.streetAddress(from: index) {
                self.add(.streetAddress, index, end)
                return
            }
        }

        /// A letter that starts a word: a URL, an IBAN, an IPv6 address that starts with a
        /// letter, or a person's name after an honorific or as a known first name.
        /// Returns the end of the word's letters (12 at most are read past the first).
        @discardableResult
        mutating func wordStart(at index: Int) -> Int {
            let byte = GuardByte.lowercased(self.bytes[index])
            // The word's letters, hashed once for the context words and the name parsers.
            let count = self.bytes.count
            var end = index
            var hash = GuardHash.seed
            while end < count, end - index < 13, GuardByte.isLetter(self.bytes[end]) {
                hash = GuardHash.add(self.bytes[end] | 0x20, to: hash)
                end += 1
            }
            let short = end - index <= 12 && !GuardByte.isLetter(self[end])
            let second = self[index + 1] | 0x20
            if self.enabled.url, byte == UInt8(ascii: "h") || byte == UInt8(ascii: "f") || byte == UInt8(ascii: "w"),
                second == UInt8(ascii: "t") || second == UInt8(ascii: "w"), let end = self.url(from: index)
            {
                self.add(.url, index, end)
                return end
            }
            let next = self[end]
            if self.enabled.iban, end - index == 2, GuardByte.isDigit(next), GuardByte.isUpper(self.bytes[index]),
                let end = self.iban(from: index)
            {
                self.add(.iban, index, end)
                return end
            }
            // An IPv6 group has at most four hex digits, then a colon or more digits.
            if self.enabled.ip, end - index <= 4, next == UInt8(ascii: ":") || GuardByte.isDigit(next),
                GuardByte.isHexDigit(byte), let end = self.ipv6(from: index)
            {
                self.add(.ipAddress, index, end)
                return end
            }
            guard short else { return end }
            self.readContext(wordStart: index, wordEnd: end, hash: hash)
            if self.enabled.name, self.resume <= index, GuardByte.isUpper(self.bytes[index]),
                let (start, end) = self.nameAfterHonorificOrFirstName(at: index, end: end, hash: hash)
            {
                self.add(.personName, start, end)
            }
            return end
        }
    }
}
