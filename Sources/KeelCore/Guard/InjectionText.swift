/// Text as the injection detector reads it: words folded to lower-case ASCII, each tagged with
/// the phrase vocabulary classes it belongs to, and counts of the tricks that were undone.
///
/// Folding undoes what attackers use to slip past word filters while the model still reads the
/// words: zero-width and bidi control characters are dropped, full-width forms, mathematical
/// alphanumerics, circled and squared letters and Latin-1 accents become ASCII, Cyrillic and
/// Greek letters that look like Latin ones become those letters, leetspeak inside a word is
/// read as letters when that makes a known word (`1gn0r3`), letters spelt apart are joined
/// when they make known words (`i g n o r e`, `I.g.n.o.r.e a.l.l`), words run together by
/// invisible characters are split again, and Unicode tag characters (invisible ASCII) are read
/// as the ASCII they hide. Cyrillic and Greek words are also looked up as written, and Chinese
/// and Japanese text is cut into the vocabulary's words by longest match, so that the phrases
/// of other languages are found too.
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
        /// Whether the word stands between quotation marks: quoted, not said.
        var quoted: Bool
        /// Whether the word is inside an HTML comment, which a reader of the page never sees.
        var hidden: Bool
        /// The last punctuation byte between the previous word and this one (0 for none).
        var before: UInt8
        /// The first punctuation byte after this word, before the next word (0 for none).
        var after: UInt8
    }

    var tokens: [Token] = []
    /// The vocabulary, read once per text rather than once per word.
    let vocabulary: InjectionVocabulary.ClassTable = InjectionVocabulary.table
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
    /// Markdown images whose URL query carries a placeholder for data (`?q={history}`).
    var exfiltrationImages = 0
    /// Markdown links whose URL query carries a placeholder for data.
    var exfiltrationLinks = 0
    /// Whether a run of 20 or more base64 or hex characters occurs: only then are payloads decoded.
    var hasLongRun = false

    /// The state of the reader between bytes.
    struct Reader {
        var pendingBefore: UInt8 = 0
        var lineStart = true
        var inQuote = false
        var inComment = false
        /// Chinese or Japanese characters read since the last vocabulary word.
        var unmatchedIdeographs = 0
    }

    /// Folds and tokenises `bytes` (UTF-8; invalid sequences count as separators).
    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        // Prose has a word every five or six bytes; one allocation that holds them all.
        self.tokens.reserveCapacity(bytes.count / 4 + 8)
        var word = WordState()
        var spelled = SpelledState()
        var reader = Reader()
        var run = 0
        var index = 0
        let count = bytes.count
        while index < count {
            let lead = bytes[index]
            // Fast path: a run of ASCII letters continues the word.
            if GuardByte.isLetter(lead) {
                if word.length == 0, GuardByte.isUpper(lead) { word.startsCapitalized = true }
                let start = index
                var capitals = 0
                var byte = lead
                if word.extra {
                    repeat {
                        if GuardByte.isUpper(byte) { capitals += 1 }
                        word.add(ascii: byte | 0x20)
                        index += 1
                        guard index < count else { break }
                        byte = bytes[index]
                    } while GuardByte.isLetter(byte)
                } else {
                    // The common case, kept in registers: one hash step per letter.
                    var hash = word.hash
                    var last = byte
                    repeat {
                        if GuardByte.isUpper(byte) { capitals += 1 }
                        last = byte | 0x20
                        hash = GuardHash.add(last, to: hash)
                        index += 1
                        guard index < count else { break }
                        byte = bytes[index]
                    } while GuardByte.isLetter(byte)
                    word.addLetters(index - start, hash: hash, last: last)
                }
                word.capitals &+= Int32(truncatingIfNeeded: capitals)
                run += index - start
                if run >= InjectionPayloads.minimumRun { self.hasLongRun = true }
                continue
            }
            if lead == 0x20 {
                // Fast path: a space ends the word; two in a row end a run of spelled letters.
                let hadWord = word.length > 0
                self.endWord(&word, &spelled, &reader)
                if !hadWord { spelled.breakRun(&self) }
                run = 0
                index += 1
                continue
            }
            if GuardByte.isDigit(lead) {
                // Fast path: a digit continues the word (`1gn0r3`, a number).
                word.add(digit: lead)
                index += 1
                run += 1
                if run >= InjectionPayloads.minimumRun { self.hasLongRun = true }
                continue
            }
            if InjectionPayloads.isBase64(lead) {
                run += 1
                if run >= InjectionPayloads.minimumRun { self.hasLongRun = true }
            } else {
                run = 0
            }
            var scalar: UInt32
            var length = 1
            if lead < 0x80 {
                scalar = UInt32(lead)
                switch lead {
                case UInt8(ascii: "<"), UInt8(ascii: "["):
                    self.countMarkup(bytes, at: index, &reader)
                case UInt8(ascii: "("):
                    if index > 0, bytes[index - 1] == UInt8(ascii: "]") { self.countLink(bytes, at: index) }
                case UInt8(ascii: ">"):
                    if reader.inComment, index >= 2, bytes[index - 1] == UInt8(ascii: "-"),
                        bytes[index - 2] == UInt8(ascii: "-")
                    {
                        self.endWord(&word, &spelled, &reader)
                        reader.inComment = false
                    }
                case UInt8(ascii: "\""):
                    self.endWord(&word, &spelled, &reader)
                    reader.inQuote.toggle()
                default:
                    break
                }
            } else {
                (scalar, length) = Self.decode(bytes, at: index)
                if Self.isIdeograph(scalar) {
                    self.endWord(&word, &spelled, &reader)
                    index = self.readIdeographs(bytes, at: index, &reader)
                    continue
                }
                switch scalar {
                case 0x201C, 0x00AB, 0x300C, 0x2018:
                    self.endWord(&word, &spelled, &reader)
                    reader.inQuote = true
                case 0x201D, 0x00BB, 0x300D:
                    self.endWord(&word, &spelled, &reader)
                    reader.inQuote = false
                default:
                    break
                }
            }
            index += length
            switch InjectionFolding.fold(scalar) {
            case .letter(let ascii, let confusable):
                if Self.isScriptLetter(scalar) {
                    word.add(script: Self.lowercasedScript(scalar), folded: ascii)
                } else {
                    word.add(letter: ascii, confusable: confusable)
                }
                if scalar < 0x80, GuardByte.isUpper(UInt8(scalar)) { word.capitals += 1 }
            case .digit(let ascii):
                word.add(digit: ascii)
            case .leet(let ascii, let letter):
                if word.length > 0 || (index < count && GuardByte.isAlphanumeric(bytes[index])) {
                    word.add(leet: ascii, letter: letter)
                } else {
                    self.endWord(&word, &spelled, &reader)
                    reader.pendingBefore = ascii
                }
            case .joiner:
                // An apostrophe inside a word (`don't`) keeps the word whole; a possessive `'s`
                // ends it (`OpenAI's` reads as `openai s`); at the edge of a word it quotes.
                let nextIsLetter = index < count && GuardByte.isLetter(bytes[index])
                let possessive =
                    nextIsLetter && bytes[index] | 0x20 == UInt8(ascii: "s")
                    && !(index + 1 < count && GuardByte.isLetter(bytes[index + 1]))
                if word.length == 0 {
                    if nextIsLetter, !reader.inQuote { reader.inQuote = true }
                } else if possessive || !nextIsLetter {
                    self.endWord(&word, &spelled, &reader)
                    if !nextIsLetter, !possessive, reader.inQuote { reader.inQuote = false }
                }
            case .invisible:
                self.invisibleCharacters += 1
                if word.length > 0 {
                    self.pieceHashes.append(word.pieceHash)
                    word.startPiece()
                }
            case .ignorable:
                break
            case .bidi:
                self.bidiControls += 1
            case .tag(let ascii):
                self.tagCharacters += 1
                if GuardByte.isLetter(ascii) {
                    word.add(letter: GuardByte.lowercased(ascii), confusable: true)
                } else {
                    self.endWord(&word, &spelled, &reader)
                }
            case .separator(let ascii)
            where ascii == UInt8(ascii: "-") && word.letters > 0 && index < count
                && GuardByte.isLetter(bytes[index]):
                // A hyphen between letters joins (`role-play`, `i-nstruction` read as one word).
                break
            case .separator(let ascii):
                let hadWord = word.length > 0
                self.endWord(&word, &spelled, &reader)
                if ascii == 0x0A {
                    reader.lineStart = true
                    reader.inQuote = false
                    spelled.breakRun(&self)
                    reader.pendingBefore = 0
                } else if ascii == 0x20 || ascii == 0x09 {
                    if !hadWord { spelled.breakRun(&self) }
                } else if ascii != 0 {
                    if let last = self.tokens.indices.last, self.tokens[last].after == 0,
                        hadWord || reader.pendingBefore == 0
                    {
                        self.tokens[last].after = ascii
                    }
                    reader.pendingBefore = ascii
                }
            }
        }
        self.endWord(&word, &spelled, &reader)
        spelled.breakRun(&self)
    }

    /// Appends a word that the reader recognised, with the position flags of `reader`.
    mutating func append(
        _ classes: InjectionVocabulary.Classes,
        folded: Bool,
        capitals: Bool = false,
        capitalized: Bool = false,
        _ reader: inout Reader
    ) {
        self.tokens.append(
            Token(
                classes: classes,
                folded: folded,
                lineStart: reader.lineStart,
                capitals: capitals,
                capitalized: capitalized,
                quoted: reader.inQuote,
                hidden: reader.inComment,
                before: reader.pendingBefore,
                after: 0
            )
        )
        reader.lineStart = false
        reader.pendingBefore = 0
    }

    private mutating func endWord(_ word: inout WordState, _ spelled: inout SpelledState, _ reader: inout Reader) {
        guard word.length > 0 else { return }
        var classes: InjectionVocabulary.Classes
        var folded = false
        if !word.extra, word.confusables == 0 {
            classes = self.vocabulary.classes(of: word.hash)
        } else {
            (classes, folded) = self.classesOfUnusualWord(word)
            if classes.isEmpty, !self.pieceHashes.isEmpty {
                // Words run together by invisible characters (`ignore⁠all⁠previous`): read them apart.
                self.pieceHashes.append(word.pieceHash)
                spelled.breakRun(&self)
                for piece in self.pieceHashes where piece != GuardHash.seed {
                    self.append(self.vocabulary.classes(of: piece), folded: true, &reader)
                }
                self.pieceHashes.removeAll(keepingCapacity: true)
                word = WordState()
                return
            }
            self.pieceHashes.removeAll(keepingCapacity: true)
        }
        if word.length == 1, word.letters == 1 {
            spelled.add(word.lastLetter, tokenIndex: self.tokens.count)
        } else {
            spelled.breakRun(&self)
        }
        self.append(
            classes,
            folded: folded,
            capitals: word.letters >= 2 && word.capitals == word.letters,
            capitalized: word.startsCapitalized,
            &reader
        )
        word = WordState()
    }

    /// The classes of a word with look-alike letters, leetspeak, another script or invisible
    /// characters, and whether it was recognised only after folding.
    private mutating func classesOfUnusualWord(_ word: WordState) -> (InjectionVocabulary.Classes, Bool) {
        var classes = InjectionVocabulary.Classes()
        var folded = word.confusables > 0
        if word.scriptLetters > 0, word.asciiLetters == 0 {
            // A Cyrillic or Greek word: as written first, then as the Latin letters it may imitate.
            classes = self.vocabulary.classes(of: word.rawHash)
            if !classes.isEmpty { folded = false }
        }
        if classes.isEmpty { classes = self.vocabulary.classes(of: word.hash) }
        if classes.isEmpty, word.leetCharacters > 0, word.letters >= 2 {
            classes = self.vocabulary.classes(of: word.leetHash)
            if classes.isEmpty, word.hasOne { classes = self.vocabulary.classes(of: word.leetHashL) }
            folded = folded || !classes.isEmpty
        }
        if word.confusables > 0, word.asciiLetters > 0 { self.mixedScriptWords += 1 }
        return (classes, folded)
    }

    /// Hashes of the pieces of the current word, split by invisible characters (rarely used).
    var pieceHashes: [UInt64] = []
}
