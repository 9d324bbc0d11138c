/// Finds credentials in text: API keys and tokens with a known prefix, JWTs, PEM private keys,
/// and high-entropy values right after a word such as "password", "secret" or "api_key".
///
/// A prefixed key is taken only with the length and alphabet its issuer uses, and only where
/// a token starts (not inside a longer identifier), so that `task-1234` is not an OpenAI key.
/// A value without a prefix is taken only after a context word and only when it looks random
/// (Shannon entropy, mixed character classes): a bare hash, UUID or git SHA is not a secret on
/// its own, and flagging every one would make redaction useless on code.
///
/// One linear pass over the UTF-8 bytes; no state, so one instance serves every request.
public struct SecretDetector: Sendable {
    /// The types this detector reports; the others are not looked for.
    public let types: Set<GuardFindingType>

    /// - Parameter types: the credential types to report; personal data types are ignored.
    public init(types: some Sequence<GuardFindingType> = GuardFindingType.secrets) {
        self.types = Set(types.filter(\.isSecret))
    }

    /// The credentials in `text`, sorted by start offset, with Unicode scalar offsets.
    public func findings(in text: String) -> [GuardFinding] {
        GuardScalarOffsets.findings(in: text, self.collect)
    }

    /// Appends the byte ranges of the credentials in `bytes` to `matches`.
    func collect(in bytes: UnsafeBufferPointer<UInt8>, into matches: inout [GuardByteMatch]) {
        guard !self.types.isEmpty else { return }
        let scanner = Scanner(bytes: bytes)
        let count = bytes.count
        Scanner.secondBytes.withUnsafeBufferPointer { secondBytes in
            var index = 0
            while index < count {
                let byte = bytes[index]
                guard GuardByte.isLetter(byte) || byte == UInt8(ascii: "-") else {
                    index += 1
                    continue
                }
                let previous = index > 0 ? bytes[index - 1] : 0x20
                // Bytes inside the word cannot start a token: the next candidate is past it.
                var wordEnd = index + 1
                while wordEnd < count, GuardByte.isWord(bytes[wordEnd]) { wordEnd += 1 }
                guard !GuardByte.isWord(previous), previous != UInt8(ascii: "-") || byte == UInt8(ascii: "-") else {
                    index = wordEnd
                    continue
                }
                if Scanner.mayStartKey(bytes, at: index, secondBytes: secondBytes),
                    let (type, end) = scanner.prefixed(at: index),
                    self.types.contains(type)
                {
                    matches.append(GuardByteMatch(type: type, start: index, end: end))
                    index = end
                    continue
                }
                if scanner.mayAnnounceValue(wordStart: index, wordEnd: wordEnd),
                    let (start, end) = scanner.contextual(at: index)
                {
                    // A key with a known prefix after "api_key:" keeps its own type.
                    if let (type, keyEnd) = scanner.prefixed(at: start), self.types.contains(type) {
                        matches.append(GuardByteMatch(type: type, start: start, end: keyEnd))
                        index = keyEnd
                        continue
                    }
                    if self.types.contains(.contextualSecret) {
                        matches.append(GuardByteMatch(type: .contextualSecret, start: start, end: end))
                        index = end
                        continue
                    }
                }
                index = byte == UInt8(ascii: "-") ? index + 1 : wordEnd
            }
        }
    }

    struct Scanner {
        let bytes: UnsafeBufferPointer<UInt8>

        subscript(_ index: Int) -> UInt8 { index >= 0 && index < self.bytes.count ? self.bytes[index] : 0 }

        /// The end of a run of bytes that satisfy `accepts` from `start`, at most `limit` long.
        func run(from start: Int, limit: Int = 4096, _ accepts: (UInt8) -> Bool) -> Int {
            var index = start
            while index < self.bytes.count, index - start < limit, accepts(self.bytes[index]) { index += 1 }
            return index
        }

        /// Whether `end` is the end of a token: no letter, digit, `_` or `-` follows.
        func isTokenEnd(_ end: Int) -> Bool {
            let next = self[end]
            return !GuardByte.isWord(next) && next != UInt8(ascii: "-")
        }

        /// Whether the word from `wordStart` to `wordEnd` can be a key that announces a value,
        /// by the bytes after it alone: a separator (`:`, `=`, a quote, `-`, `.`), "is"/"was", or
        /// the word is `bearer`. Most words are followed by a space and another word, and this
        /// spares them the full look at ``contextual(at:)``.
        @inline(__always) func mayAnnounceValue(wordStart: Int, wordEnd: Int) -> Bool {
            var next = self[wordEnd]
            if next == 0x20 || next == 0x09 {
                if wordEnd - wordStart == 6, self.bytes.guardHasPrefix("bearer", at: wordStart) { return true }
                var index = wordEnd + 1
                while self[index] == 0x20 || self[index] == 0x09 { index += 1 }
                next = self[index]
                if next == UInt8(ascii: ":") || next == UInt8(ascii: "=") { return true }
                // "my password is …": only a credential word itself announces a value so.
                let lower = next | 0x20
                guard
                    lower == UInt8(ascii: "i") && self[index + 1] | 0x20 == UInt8(ascii: "s") && self[index + 2] == 0x20
                        || lower == UInt8(ascii: "w") && self.bytes.guardHasPrefix("was ", at: index)
                else { return false }
                return Self.spokenKeys.contains(self.hash(wordStart, wordEnd))
            }
            if next == UInt8(ascii: "-") || next == UInt8(ascii: ".") { return GuardByte.isWord(self[wordEnd + 1]) }
            return next == UInt8(ascii: ":") || next == UInt8(ascii: "=") || next == 0x22 || next == 0x27
        }

        /// Whether a key with a known prefix can start at `index`, by its first two bytes
        /// (`sk`, `rk`, `gh`, `gi`, `xo`, `ey`, `A` and a capital, `--`), looked up without a branch on
        /// the first: most words start with none of these.
        @inline(__always) static func mayStartKey(
            _ bytes: UnsafeBufferPointer<UInt8>,
            at index: Int,
            secondBytes: UnsafeBufferPointer<UInt8>
        ) -> Bool {
            let second = index + 1 < bytes.count ? bytes[index + 1] : 0
            let wanted = secondBytes[Int(bytes[index])]
            let exact = wanted == second ? 1 : 0
            let capital = wanted == 0xFF && GuardByte.isUpper(second) ? 1 : 0
            let github = wanted == 0xFE && second | 1 == UInt8(ascii: "i") ? 1 : 0
            return (exact | capital | github) & (wanted != 0 ? 1 : 0) != 0
        }

        /// For each first byte of a prefixed key, the second byte (`0xFF`: any capital; `0xFE`:
        /// `h` or `i`).
        static let secondBytes: [UInt8] = {
            var table = [UInt8](repeating: 0, count: 256)
            table[Int(UInt8(ascii: "A"))] = 0xFF
            table[Int(UInt8(ascii: "g"))] = 0xFE
            table[Int(UInt8(ascii: "x"))] = UInt8(ascii: "o")
            table[Int(UInt8(ascii: "s"))] = UInt8(ascii: "k")
            table[Int(UInt8(ascii: "r"))] = UInt8(ascii: "k")
            table[Int(UInt8(ascii: "e"))] = UInt8(ascii: "y")
            table[Int(UInt8(ascii: "-"))] = UInt8(ascii: "-")
            return table
        }()

        /// A key with a fixed prefix at `start`: its type and end.
        func prefixed(at start: Int) -> (GuardFindingType, Int)? {
            let has = { (prefix: StaticString) in self.hasExactPrefix(prefix, at: start) }
            switch self.bytes[start] {
            case UInt8(ascii: "A"):
                for prefix: StaticString in ["AKIA", "ASIA", "AGPA", "AIDA", "AROA", "AIPA", "ANPA", "ANVA"]
                where has(prefix) {
                    let end = self.run(from: start + 4, limit: 17) { GuardByte.isUpper($0) || GuardByte.isDigit($0) }
                    return end - start == 20 && self.isTokenEnd(end) ? (.awsAccessKeyID, end) : nil
                }
                if has("AIza") {
                    let end = self.run(from: start + 4, limit: 36) { GuardByte.isWord($0) || $0 == UInt8(ascii: "-") }
                    return end - start == 39 && self.isTokenEnd(end) ? (.googleAPIKey, end) : nil
                }
            case UInt8(ascii: "g"):
                guard self[start + 3] == UInt8(ascii: "_") || self[start + 6] == UInt8(ascii: "_") else { return nil }
                for prefix: StaticString in ["ghp_", "gho_", "ghs_", "ghu_", "ghr_"] where has(prefix) {
                    let end = self.run(from: start + 4, limit: 256) { GuardByte.isAlphanumeric($0) }
                    return end - start >= 40 && self.isTokenEnd(end) ? (.githubToken, end) : nil
                }
                if has("github_pat_") {
                    let end = self.run(from: start + 11, limit: 256) { GuardByte.isWord($0) }
                    return end - start >= 40 && self.isTokenEnd(end) ? (.githubToken, end) : nil
                }
            case UInt8(ascii: "x"):
                if has("xox"), "bpars".utf8.contains(self[start + 3]), self[start + 4] == UInt8(ascii: "-") {
                    let end = self.run(from: start + 5, limit: 256) {
                        GuardByte.isAlphanumeric($0) || $0 == UInt8(ascii: "-")
                    }
                    let body = UnsafeBufferPointer(rebasing: self.bytes[(start + 5)..<end])
                    return end - start >= 15 && body.contains(where: GuardByte.isDigit) && self.isTokenEnd(end)
                        ? (.slackToken, end) : nil
                }
            case UInt8(ascii: "s"), UInt8(ascii: "r"):
                guard self[start + 1] == UInt8(ascii: "k") else { return nil }
                if has("sk_live_") || has("sk_test_") || has("rk_live_") || has("rk_test_") {
                    let end = self.run(from: start + 8, limit: 256) { GuardByte.isAlphanumeric($0) }
                    return end - start >= 24 && self.isTokenEnd(end) ? (.stripeKey, end) : nil
                }
                if has("sk-ant-") {
                    let end = self.run(from: start + 7, limit: 256) { GuardByte.isWord($0) || $0 == UInt8(ascii: "-") }
                    return end - start >= 40 && self.isTokenEnd(end) ? (.anthropicKey, end) : nil
                }
                if has("sk-") {
                    let end = self.run(from: start + 3, limit: 256) { GuardByte.isWord($0) || $0 == UInt8(ascii: "-") }
                    let body = UnsafeBufferPointer(rebasing: self.bytes[(start + 3)..<end])
                    guard end - start >= 23, self.isTokenEnd(end), GuardEntropy.hasMixedClasses(body) else {
                        return nil
                    }
                    return (.openAIKey, end)
                }
            case UInt8(ascii: "e"):
                if has("eyJ"), let end = self.jwt(from: start) { return (.jwt, end) }
            case UInt8(ascii: "-"):
                if has("-----BEGIN "), let end = self.privateKeyBlock(from: start) { return (.privateKey, end) }
            default:
                break
            }
            return nil
        }

        func hasExactPrefix(_ prefix: StaticString, at index: Int) -> Bool {
            let count = prefix.utf8CodeUnitCount
            guard index + count <= self.bytes.count else { return false }
            for offset in 0..<count where self.bytes[index + offset] != prefix.utf8Start[offset] { return false }
            return true
        }

        /// A JSON Web Token: three base64url segments joined by dots, the first two starting
        /// `eyJ` (the encoding of `{"`), the signature possibly empty (`alg: none`).
        func jwt(from start: Int) -> Int? {
            let isSegment = { (byte: UInt8) in GuardByte.isWord(byte) || byte == UInt8(ascii: "-") }
            let header = self.run(from: start, limit: 2048, isSegment)
            guard header - start >= 10, self[header] == UInt8(ascii: "."), self.hasExactPrefix("eyJ", at: header + 1)
            else {
                return nil
            }
            let payload = self.run(from: header + 1, limit: 8192, isSegment)
            guard payload - header > 10, self[payload] == UInt8(ascii: ".") else { return nil }
            let signature = self.run(from: payload + 1, limit: 2048, isSegment)
            // A fourth segment would make it something else; a dot that ends the sentence does not.
            let next = self[signature]
            let fourthSegment =
                next == UInt8(ascii: ".") && (GuardByte.isWord(self[signature + 1]) || self[signature + 1] == 0x2D)
            return fourthSegment || next == UInt8(ascii: "=") ? nil : signature
        }

        /// A PEM block whose label ends in `PRIVATE KEY` (RSA, EC, DSA, OpenSSH, PKCS #8,
        /// encrypted) through its `-----END … -----` line; a block cut off before its end line runs
        /// to the end of the text, since half a key is still a leak.
        func privateKeyBlock(from start: Int) -> Int? {
            let labelStart = start + 11
            let labelEnd = self.run(from: labelStart, limit: 40) {
                GuardByte.isUpper($0) || $0 == 0x20 || $0 == UInt8(ascii: "#")
            }
            guard self.hasExactPrefix("-----", at: labelEnd) else { return nil }
            let label = UnsafeBufferPointer(rebasing: self.bytes[labelStart..<labelEnd])
            guard label.count >= 11,
                UnsafeBufferPointer(rebasing: label[(label.count - 11)...]).elementsEqual("PRIVATE KEY".utf8)
                    || label.count >= 17
                        && UnsafeBufferPointer(rebasing: label[(label.count - 17)...]).elementsEqual(
                            "PRIVATE KEY BLOCK".utf8
                        )
            else { return nil }
            var index = labelEnd + 5
            while index < self.bytes.count {
                if self.bytes[index] == UInt8(ascii: "-"), self.hasExactPrefix("-----END ", at: index) {
                    var end = index + 9
                    while end < self.bytes.count, end - index < 60, !self.hasExactPrefix("-----", at: end) { end += 1 }
                    return min(self.bytes.count, end + 5)
                }
                index += 1
            }
            return self.bytes.count
        }

        /// A value after a credential-naming key (`password: …`, `"api_key": "…"`,
        /// `DB_PASSWORD=…`, `Authorization: Bearer …`, `my password is …`): returns the value's
        /// range when it looks random enough to be a real credential rather than a placeholder
        /// (`<your key>`, `********`, `changeme`, `${TOKEN}`).
        func contextual(at start: Int) -> (Int, Int)? {
            let keyEnd = self.run(from: start, limit: 64) {
                GuardByte.isWord($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".")
            }
            guard keyEnd - start >= 3 else { return nil }
            // The separator: quotes, spaces, one of `:` `=` `=>`, or the words "is" / "was".
            // Looked for before the key's words, since most words are followed by none.
            var index = keyEnd
            if self[index] == 0x22 || self[index] == 0x27 { index += 1 }
            while self[index] == 0x20 || self[index] == 0x09 { index += 1 }
            var separated = false
            if self[index] == UInt8(ascii: ":") || self[index] == UInt8(ascii: "=") {
                index += 1
                if self[index] == UInt8(ascii: ">") || self[index] == UInt8(ascii: "=") { index += 1 }
                separated = true
            } else if self.bytes.guardHasPrefix("is ", at: index) || self.bytes.guardHasPrefix("was ", at: index) {
                // "my password is …": prose says "X is" all the time, so only a credential word
                // itself counts as a key here, found by one table lookup.
                guard Self.spokenKeys.contains(self.hash(start, keyEnd)) else { return nil }
                index += self[index] == UInt8(ascii: "i") ? 3 : 4
                separated = true
            } else if keyEnd - start == 6, self[keyEnd] == 0x20, self.bytes.guardHasPrefix("bearer", at: start) {
                separated = true
            }
            guard separated, let strength = self.credentialKeyStrength(start, keyEnd) else { return nil }
            while self[index] == 0x20 || self[index] == 0x09 { index += 1 }
            if self.bytes.guardHasPrefix("bearer ", at: index) || self.bytes.guardHasPrefix("basic ", at: index) {
                index += self[index] | 0x20 == UInt8(ascii: "b") && self[index + 1] | 0x20 == UInt8(ascii: "e") ? 7 : 6
            }
            var quote: UInt8 = 0
            if self[index] == 0x22 || self[index] == 0x27 || self[index] == 0x60 {
                quote = self[index]
                index += 1
            }
            let valueStart = index
            let valueEnd = self.run(from: valueStart, limit: 512) { byte in
                quote != 0
                    ? byte != quote && byte >= 0x20 && byte < 0x7F
                    : byte > 0x20 && byte < 0x7F && byte != 0x2C && byte != 0x3B
                        && byte != 0x22 && byte != 0x27 && byte != 0x60 && byte != 0x29 && byte != 0x7D && byte != 0x26
            }
            var end = valueEnd
            if quote == 0 {
                while end > valueStart, self[end - 1] == UInt8(ascii: ".") { end -= 1 }
            }
            let value = UnsafeBufferPointer(rebasing: self.bytes[valueStart..<end])
            guard GuardEntropy.looksLikeCredential(value, password: strength == .password) else { return nil }
            return (valueStart, end)
        }

        enum KeyStrength { case password, token, bearer }

        /// The credential words that announce a value with "is" or "was".
        static let spokenKeys = GuardWordTable(
            words: [
                "password", "passwd", "passphrase", "pwd", "secret", "token", "apikey", "api_key", "api-key",
            ],
            value: true
        )

        /// The FNV-1a hash of the bytes from `start` to `end`, lower-cased.
        func hash(_ start: Int, _ end: Int) -> UInt64 {
            var hash = GuardHash.seed
            for index in start..<end { hash = GuardHash.add(GuardByte.lowercased(self.bytes[index]), to: hash) }
            return hash
        }

        /// Whether the key names a credential, and what kind of value it announces.
        func credentialKeyStrength(_ start: Int, _ end: Int) -> KeyStrength? {
            let key = UnsafeBufferPointer(rebasing: self.bytes[start..<end])
            if end - start == 6, self.bytes.guardHasPrefix("bearer", at: start) { return .bearer }
            if end - start == 13, self.bytes.guardHasPrefix("authorization", at: start) { return .token }
            for word: StaticString in ["password", "passwd", "passphrase", "pwd"] where Self.contains(key, word) {
                return .password
            }
            for word: StaticString in [
                "secret", "token", "apikey", "api_key", "api-key", "access_key", "accesskey", "private_key",
                "credential",
                "auth_key", "client_key", "signing_key", "session_key",
            ] where Self.contains(key, word) {
                return .token
            }
            return nil
        }

        static func contains(_ haystack: UnsafeBufferPointer<UInt8>, _ word: StaticString) -> Bool {
            let count = word.utf8CodeUnitCount
            guard haystack.count >= count else { return false }
            for offset in 0...(haystack.count - count) {
                var equal = true
                for index in 0..<count where GuardByte.lowercased(haystack[offset + index]) != word.utf8Start[index] {
                    equal = false
                    break
                }
                if equal { return true }
            }
            return false
        }
    }
}
