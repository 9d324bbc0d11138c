/// Text as the injection detector reads it: words folded to lower-case ASCII, each tagged with
/// the phrase vocabulary classes it belongs to, and counts of the tricks that were undone.
///
/// Folding undoes what attackers use to slip past word filters while the model still reads the
/// words: zero-width and bidi control characters are dropped, full-width forms, mathematical
/// alphanumerics, circled and squared letters and Latin-1 accents become ASCII, Cyrillic and
/// Greek letters that look like Latin ones become those letters, leetspeak inside a word is
/// read as letters when that makes a known word (`1gn0r3`), letters spelt apart are joined
/// when they make one (`i g n o r e`), and Unicode tag characters (invisible ASCII) are read
/// as the ASCII they hide.
struct InjectionText {
    /// One word of the folded text.
    struct Token {
        /// The vocabulary classes of the word (``InjectionVocabulary``); empty for other words.
        var classes: InjectionVocabulary.Classes
        /// Whether the word was recognised only after folding (homoglyphs, leetspeak, spacing).
        var folded: Bool
        /// Whether the word begins a line.
        var lineStart: Bool
        /// Whether the word is written in capitals (`DAN`, `AIM`), which sets a persona's name
        /// apart from the ordinary word.
        var capitals: Bool
        /// Whether the word starts with a capital (`Tyler`), as names do.
        var capitalized: Bool
        /// The last punctuation byte between the previous word and this one (0 for none).
        var before: UInt8
        /// The first punctuation byte after this word, before the next word (0 for none).
        var after: UInt8
    }

    var tokens: [Token] = []
    /// Zero-width characters, soft hyphens and other invisible format characters.
    var invisibleCharacters = 0
    /// Bidirectional override and isolate controls.
    var bidiControls = 0
    /// Unicode tag characters (U+E0020–U+E007E), invisible ASCII.
    var tagCharacters = 0
    /// Words that mix ASCII letters with look-alike letters of another script.
    var mixedScriptWords = 0
    /// Chat-template control tokens (`<|im_start|>`, `[INST]`, `<<SYS>>`, `<start_of_turn>`).
    var controlTokens = 0
    /// Role tags written as markup (`<system>`, `</instructions>`, `[system]`).
    var roleTags = 0

    /// Folds and tokenises `bytes` (UTF-8; invalid sequences count as separators).
    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        // Prose has a word every five or six bytes; one allocation that holds them all.
        self.tokens.reserveCapacity(bytes.count / 4 + 8)
        var word = WordState()
        var spelled = SpelledState()
        var pendingBefore: UInt8 = 0
        var lineStart = true
        var index = 0
        let count = bytes.count
        while index < count {
            let lead = bytes[index]
            // Fast path: an ASCII letter continues the word.
            if GuardByte.isLetter(lead) {
                if word.length == 0, GuardByte.isUpper(lead) { word.startsCapitalized = true }
                word.add(letter: GuardByte.lowercased(lead), confusable: false)
                if GuardByte.isUpper(lead) { word.capitals += 1 }
                index += 1
                continue
            }
            var scalar: UInt32
            var length = 1
            if lead < 0x80 {
                scalar = UInt32(lead)
            } else {
                (scalar, length) = Self.decode(bytes, at: index)
            }
            if lead == UInt8(ascii: "<") || lead == UInt8(ascii: "[") {
                self.countMarkup(bytes, at: index)
            }
            index += length
            let folded = InjectionFolding.fold(scalar)
            switch folded {
            case .letter(let ascii, let confusable):
                word.add(letter: ascii, confusable: confusable)
                if scalar < 0x80, GuardByte.isUpper(UInt8(scalar)) { word.capitals += 1 }
            case .digit(let ascii):
                word.add(digit: ascii)
            case .leet(let ascii, let letter):
                if word.length > 0 || (index < count && GuardByte.isAlphanumeric(bytes[index])) {
                    word.add(leet: ascii, letter: letter)
                } else {
                    self.endWord(&word, &spelled, before: &pendingBefore, lineStart: &lineStart)
                    pendingBefore = ascii
                }
            case .joiner:
                // An apostrophe inside a word (`don't`) keeps the word whole; a possessive `'s`
                // ends it (`OpenAI's` reads as `openai s`).
                let possessive =
                    index < count && bytes[index] | 0x20 == UInt8(ascii: "s")
                    && !(index + 1 < count && GuardByte.isLetter(bytes[index + 1]))
                if word.length == 0 || possessive || !(index < count && GuardByte.isLetter(bytes[index])) {
                    self.endWord(&word, &spelled, before: &pendingBefore, lineStart: &lineStart)
                }
            case .invisible:
                self.invisibleCharacters += 1
            case .ignorable:
                break
            case .bidi:
                self.bidiControls += 1
            case .tag(let ascii):
                self.tagCharacters += 1
                if GuardByte.isLetter(ascii) {
                    word.add(letter: GuardByte.lowercased(ascii), confusable: true)
                } else {
                    self.endWord(&word, &spelled, before: &pendingBefore, lineStart: &lineStart)
                }
            case .separator(let ascii)
            where ascii == UInt8(ascii: "-") && word.letters > 0 && index < count
                && GuardByte.isLetter(bytes[index]):
                // A hyphen between letters joins (`role-play`, `i-nstruction` read as one word).
                break
            case .separator(let ascii):
                let hadWord = word.length > 0
                self.endWord(&word, &spelled, before: &pendingBefore, lineStart: &lineStart)
                if ascii == 0x0A {
                    lineStart = true
                    spelled.breakRun(&self)
                    pendingBefore = 0
                } else if ascii == 0x20 || ascii == 0x09 {
                    if !hadWord { spelled.breakRun(&self) }
                } else if ascii != 0 {
                    if let last = self.tokens.indices.last, self.tokens[last].after == 0, hadWord || pendingBefore == 0
                    {
                        self.tokens[last].after = ascii
                    }
                    pendingBefore = ascii
                }
            }
        }
        self.endWord(&word, &spelled, before: &pendingBefore, lineStart: &lineStart)
        spelled.breakRun(&self)
    }

    private mutating func endWord(
        _ word: inout WordState,
        _ spelled: inout SpelledState,
        before: inout UInt8,
        lineStart: inout Bool
    ) {
        guard word.length > 0 else { return }
        defer { word = WordState() }
        var classes = InjectionVocabulary.classes(of: word.hash)
        var folded = word.confusables > 0
        if classes.isEmpty, word.leetCharacters > 0, word.letters >= 2 {
            classes = InjectionVocabulary.classes(of: word.leetHash)
            if classes.isEmpty, word.hasOne { classes = InjectionVocabulary.classes(of: word.leetHashL) }
            folded = folded || !classes.isEmpty
        }
        if word.confusables > 0, word.asciiLetters > 0 { self.mixedScriptWords += 1 }
        let token = Token(
            classes: classes,
            folded: folded,
            lineStart: lineStart,
            capitals: word.letters >= 2 && word.capitals == word.letters,
            capitalized: word.startsCapitalized,
            before: before,
            after: 0
        )
        lineStart = false
        before = 0
        if word.length == 1, word.letters == 1 {
            spelled.add(word.lastLetter, tokenIndex: self.tokens.count)
        } else {
            spelled.breakRun(&self)
        }
        self.tokens.append(token)
    }

    /// Counts chat-template control tokens and role markup that start at `index`.
    private mutating func countMarkup(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) {
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

    /// Decodes the UTF-8 scalar at `index`; an invalid sequence decodes as U+FFFD, one byte long.
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> (UInt32, Int) {
        let lead = bytes[index]
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

    /// The word being read: hashes of its folded spelling, raw and with leetspeak read as letters.
    struct WordState {
        var hash = GuardHash.seed
        var leetHash = GuardHash.seed
        var leetHashL = GuardHash.seed
        var length = 0
        var letters = 0
        var asciiLetters = 0
        var confusables = 0
        var leetCharacters = 0
        var hasOne = false
        var capitals = 0
        var startsCapitalized = false
        var lastLetter: UInt8 = 0

        mutating func add(letter: UInt8, confusable: Bool) {
            self.hash = GuardHash.add(letter, to: self.hash)
            self.leetHash = GuardHash.add(letter, to: self.leetHash)
            self.leetHashL = GuardHash.add(letter, to: self.leetHashL)
            self.length += 1
            self.letters += 1
            self.lastLetter = letter
            if confusable { self.confusables += 1 } else { self.asciiLetters += 1 }
        }

        mutating func add(digit: UInt8) {
            self.hash = GuardHash.add(digit, to: self.hash)
            let letter = InjectionFolding.leetLetter(digit)
            self.leetHash = GuardHash.add(letter, to: self.leetHash)
            self.leetHashL = GuardHash.add(digit == UInt8(ascii: "1") ? UInt8(ascii: "l") : letter, to: self.leetHashL)
            self.hasOne = self.hasOne || digit == UInt8(ascii: "1")
            self.length += 1
            if letter != digit { self.leetCharacters += 1 }
        }

        mutating func add(leet ascii: UInt8, letter: UInt8) {
            self.hash = GuardHash.add(ascii, to: self.hash)
            self.leetHash = GuardHash.add(letter, to: self.leetHash)
            self.leetHashL = GuardHash.add(letter, to: self.leetHashL)
            self.length += 1
            self.leetCharacters += 1
        }
    }

    /// A run of one-letter words (`i g n o r e`): when it spells a vocabulary word, its tokens
    /// are replaced by that word.
    struct SpelledState {
        var hash = GuardHash.seed
        var count = 0
        var firstToken = 0

        mutating func add(_ letter: UInt8, tokenIndex: Int) {
            if self.count == 0 { self.firstToken = tokenIndex }
            self.hash = GuardHash.add(letter, to: self.hash)
            self.count += 1
        }

        mutating func breakRun(_ text: inout InjectionText) {
            defer { self = SpelledState() }
            guard self.count >= 3 else { return }
            let classes = InjectionVocabulary.classes(of: self.hash)
            guard !classes.isEmpty, self.firstToken + self.count <= text.tokens.count else { return }
            let first = text.tokens[self.firstToken]
            text.tokens.removeSubrange(self.firstToken..<(self.firstToken + self.count))
            text.tokens.insert(
                Token(
                    classes: classes,
                    folded: true,
                    lineStart: first.lineStart,
                    capitals: false,
                    capitalized: false,
                    before: first.before,
                    after: 0
                ),
                at: self.firstToken
            )
        }
    }
}
