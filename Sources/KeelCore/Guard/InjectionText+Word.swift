/// The word being read and the runs of one-letter words, as the injection detector folds them.
extension InjectionText {
    /// The word being read: the hash of its folded spelling, and the hashes of its other
    /// readings (leetspeak as letters, Cyrillic or Greek as written, the piece since the last
    /// invisible character). The other readings are started only when a word needs them, so a
    /// plain word costs one hash step per letter.
    struct WordState {
        var hash = GuardHash.seed
        /// With leetspeak read as letters, `1` as `i` (`leetHash`) or as `l` (`leetHashL`); valid
        /// once `leetCharacters > 0`.
        var leetHash = GuardHash.seed
        var leetHashL = GuardHash.seed
        /// The word as written, for Cyrillic and Greek words; valid once `scriptLetters > 0`.
        var rawHash = GuardHash.seed
        /// The piece since the last invisible character; valid once `split`.
        var pieceHashValue = GuardHash.seed
        var length: Int32 = 0
        var letters: Int32 = 0
        var asciiLetters: Int32 = 0
        var confusables: Int32 = 0
        var leetCharacters: Int32 = 0
        var scriptLetters: Int32 = 0
        var hasOne = false
        var split = false
        /// Whether any reading besides the folded one is under way.
        var extra = false
        var capitals: Int32 = 0
        var startsCapitalized = false
        var lastLetter: UInt8 = 0

        /// The hash of the piece since the last invisible character.
        var pieceHash: UInt64 { self.split ? self.pieceHashValue : self.hash }

        @inline(__always) mutating func add(ascii letter: UInt8) {
            self.hash = GuardHash.add(letter, to: self.hash)
            if self.extra { self.addExtra(letter, raw: letter) }
            self.length += 1
            self.letters += 1
            self.asciiLetters += 1
            self.lastLetter = letter
        }

        /// `count` ASCII letters, the last of them `last`, read by the caller into `hash`; only
        /// while no other reading is under way.
        @inline(__always) mutating func addLetters(_ count: Int, hash: UInt64, last: UInt8) {
            let count = Int32(truncatingIfNeeded: count)
            self.hash = hash
            self.length &+= count
            self.letters &+= count
            self.asciiLetters &+= count
            self.lastLetter = last
        }

        mutating func add(letter: UInt8, confusable: Bool) {
            self.hash = GuardHash.add(letter, to: self.hash)
            if self.extra { self.addExtra(letter, raw: letter) }
            self.length += 1
            self.letters += 1
            self.lastLetter = letter
            if confusable { self.confusables += 1 } else { self.asciiLetters += 1 }
        }

        /// A Cyrillic or Greek letter, lower-cased (`raw`), that folds to `folded`.
        mutating func add(script raw: UInt32, folded: UInt8) {
            if self.scriptLetters == 0 {
                self.rawHash = self.hash
                self.extra = true
            }
            self.scriptLetters += 1
            self.hash = GuardHash.add(folded, to: self.hash)
            if self.leetCharacters > 0 {
                self.leetHash = GuardHash.add(folded, to: self.leetHash)
                self.leetHashL = GuardHash.add(folded, to: self.leetHashL)
            }
            if self.split { self.pieceHashValue = GuardHash.add(folded, to: self.pieceHashValue) }
            // The UTF-8 bytes of the letter, as `GuardHash.of` hashes a vocabulary word.
            if raw < 0x800 {
                self.rawHash = GuardHash.add(UInt8(0xC0 | (raw >> 6)), to: self.rawHash)
                self.rawHash = GuardHash.add(UInt8(0x80 | (raw & 0x3F)), to: self.rawHash)
            }
            self.length += 1
            self.letters += 1
            self.confusables += 1
            self.lastLetter = folded
        }

        mutating func add(digit: UInt8) {
            // Random digits make a branch on "is this digit leetspeak" a coin toss: computed
            // without one.
            let letter = InjectionFolding.leetLetter(digit)
            let isLeet = letter != digit
            if isLeet, self.leetCharacters == 0 { self.startLeet() }
            self.leetHash = GuardHash.add(letter, to: self.leetHash)
            self.leetHashL = GuardHash.add(digit == UInt8(ascii: "1") ? UInt8(ascii: "l") : letter, to: self.leetHashL)
            self.leetCharacters &+= isLeet ? 1 : 0
            self.hash = GuardHash.add(digit, to: self.hash)
            if self.scriptLetters > 0 { self.rawHash = GuardHash.add(digit, to: self.rawHash) }
            if self.split { self.pieceHashValue = GuardHash.add(digit, to: self.pieceHashValue) }
            self.hasOne = self.hasOne || digit == UInt8(ascii: "1")
            self.length += 1
        }

        mutating func add(leet ascii: UInt8, letter: UInt8) {
            if self.leetCharacters == 0 { self.startLeet() }
            self.leetHash = GuardHash.add(letter, to: self.leetHash)
            self.leetHashL = GuardHash.add(letter, to: self.leetHashL)
            self.leetCharacters += 1
            self.hash = GuardHash.add(ascii, to: self.hash)
            if self.split { self.pieceHashValue = GuardHash.add(ascii, to: self.pieceHashValue) }
            self.length += 1
        }

        /// An invisible character inside the word: what follows is also read as a new piece.
        mutating func startPiece() {
            self.split = true
            self.extra = true
            self.pieceHashValue = GuardHash.seed
        }

        private mutating func startLeet() {
            // Until the first leetspeak character, the leet readings equal the folded one.
            self.leetHash = self.hash
            self.leetHashL = self.hash
            self.extra = true
        }

        private mutating func addExtra(_ letter: UInt8, raw: UInt8) {
            if self.leetCharacters > 0 {
                self.leetHash = GuardHash.add(letter, to: self.leetHash)
                self.leetHashL = GuardHash.add(letter, to: self.leetHashL)
            }
            if self.scriptLetters > 0 { self.rawHash = GuardHash.add(raw, to: self.rawHash) }
            if self.split { self.pieceHashValue = GuardHash.add(letter, to: self.pieceHashValue) }
        }
    }

    /// A run of one-letter words (`i g n o r e`, `I.g.n.o.r.e a.l.l`): when it spells
    /// vocabulary words, its tokens are replaced by those words.
    struct SpelledState {
        static let longestWord = 16
        /// Runs are cut at this many letters, so that segmenting one costs a bounded amount.
        static let longestRun = 64
        var count = 0
        var firstToken = 0
        /// The letters of the run, kept inline: no allocation per scan.
        var letters = SIMD64<UInt8>()

        mutating func add(_ letter: UInt8, tokenIndex: Int) {
            // Past 64 letters a run is no word spelt out: the letters after are left as they are.
            guard self.count < Self.longestRun else { return }
            if self.count == 0 { self.firstToken = tokenIndex }
            self.letters[self.count] = letter
            self.count += 1
        }

        /// Replaces the run's tokens by the vocabulary words it spells, found by longest match
        /// from the left; letters that start no word stay as they were.
        @inline(__always) mutating func breakRun(_ text: inout InjectionText) {
            guard self.count > 0 else { return }
            defer { self = SpelledState() }
            guard self.count >= 3, self.firstToken + self.count <= text.tokens.count else { return }
            self.segment(&text)
        }

        private func segment(_ text: inout InjectionText) {
            let letters = self.letters
            let first = text.tokens[self.firstToken]
            var words: [InjectionText.Token] = []
            var position = 0
            var foundAny = false
            while position < self.count {
                var hash = GuardHash.seed
                var best = 0
                var bestClasses = InjectionVocabulary.Classes()
                var end = position
                while end < self.count, end - position < Self.longestWord {
                    hash = GuardHash.add(letters[end], to: hash)
                    end += 1
                    if end - position >= 2 {
                        let classes = text.vocabulary.classes(of: hash)
                        if !classes.isEmpty {
                            best = end
                            bestClasses = classes
                        }
                    }
                }
                if best > 0 {
                    var token = first
                    token.classes = bestClasses
                    token.folded = true
                    token.capitals = false
                    token.capitalized = false
                    token.lineStart = position == 0 && first.lineStart
                    token.after = 0
                    words.append(token)
                    foundAny = true
                    position = best
                } else {
                    words.append(text.tokens[self.firstToken + position])
                    position += 1
                }
            }
            guard foundAny else { return }
            text.tokens.replaceSubrange(self.firstToken..<(self.firstToken + self.count), with: words)
        }
    }
}
