/// Values that only a nearby word identifies: dates of birth, medical record and health plan
/// numbers, bare SSNs and person names.
extension PIIDetector.Scanner {
    /// What a context word announces.
    enum Cue: UInt8 {
        case birth, medicalRecord, medicalRecordIfNext, healthPlan, healthPlanIfNext, ssn, ssnIfNext, name, nameIfNext
    }

    /// At the start of a word (`index` to `end`, its letters hashed into `hash`, at most 12):
    /// when the word is a context word, parses the value it announces right after it (a few
    /// filler words such as "number", "is", "#" or ":" skipped), and notes where phone context
    /// words end. Called by the structure pass as it reaches each word, so that a value
    /// announced by a word is claimed before the structured parsers see it ("Chart number:
    /// 0037245709" is a record number, not a phone number after "number").
    mutating func readContext(wordStart index: Int, wordEnd end: Int, hash: UInt64) {
        if self.enabled.contextCues, let cue = Self.cues[hash] {
            self.follow(cue, wordStart: index, wordEnd: end)
        }
        if self.enabled.phone, Self.phoneContext.contains(hash) { self.phoneCues.append(end) }
    }

    private mutating func follow(_ cue: Cue, wordStart: Int, wordEnd: Int) {
        var cue = cue
        var end = wordEnd
        switch cue {
        case .medicalRecordIfNext, .healthPlanIfNext, .ssnIfNext, .nameIfNext:
            if let (next, nextEnd) = self.nextWord(after: wordEnd), Self.confirmers[next]?.contains(cue) == true {
                cue = Self.confirmed(cue)
                end = nextEnd
            } else if self.bytes.guardHasPrefix("patient", at: wordStart) {
                cue = .name
            } else {
                return
            }
        case .birth where wordEnd - wordStart == 1:
            // "d.o.b": the word is "d"; the dots follow.
            guard self.bytes.guardHasPrefix("d.o.b", at: wordStart) else { return }
            end = wordStart + 5
        default:
            break
        }
        switch cue {
        case .birth:
            guard self.enabled.dateOfBirth, let start = self.skipFiller(from: end), let dateEnd = self.date(from: start)
            else { return }
            self.addIfFree(.dateOfBirth, start, dateEnd)
        case .medicalRecord:
            guard self.enabled.medicalRecord,
                let (start, idEnd) = self.identifier(after: end, minimumLength: 5, minimumDigits: 4)
            else { return }
            self.addIfFree(.medicalRecordNumber, start, idEnd)
        case .healthPlan:
            guard self.enabled.healthPlan,
                let (start, idEnd) = self.identifier(after: end, minimumLength: 6, minimumDigits: 3)
            else { return }
            self.addIfFree(.healthPlanNumber, start, idEnd)
        case .ssn:
            guard self.enabled.ssn, let start = self.skipFiller(from: end), let ssnEnd = self.contextualSSN(from: start)
            else { return }
            self.addIfFree(.usSSN, start, ssnEnd)
        case .name:
            guard self.enabled.name, let start = self.skipFiller(from: end), let nameEnd = self.personName(from: start)
            else { return }
            self.addIfFree(.personName, start, nameEnd)
        case .medicalRecordIfNext, .healthPlanIfNext, .ssnIfNext, .nameIfNext:
            return
        }
    }

    private static func confirmed(_ cue: Cue) -> Cue {
        switch cue {
        case .medicalRecordIfNext: .medicalRecord
        case .healthPlanIfNext: .healthPlan
        case .ssnIfNext: .ssn
        case .nameIfNext: .name
        default: cue
        }
    }

    private mutating func addIfFree(_ type: GuardFindingType, _ start: Int, _ end: Int) {
        for match in self.matches where match.start < end && start < match.end { return }
        self.add(type, start, end)
    }

    /// The hash and end of the word after `index`, past spaces and one `:` or `-`.
    private func nextWord(after index: Int) -> (UInt64, Int)? {
        var position = index
        while position < index + 3, self[position] == 0x20 || self[position] == UInt8(ascii: "-") { position += 1 }
        guard GuardByte.isLetter(self[position]) else {
            // "SS#": the confirmer is a sign, not a word.
            if self[position] == UInt8(ascii: "#") { return (Self.hashSign, position + 1) }
            if self[position] == UInt8(ascii: ":") { return (Self.hashColon, position + 1) }
            return nil
        }
        var hash = GuardHash.seed
        let start = position
        while GuardByte.isLetter(self[position]), position - start < 12 {
            hash = GuardHash.add(GuardByte.lowercased(self[position]), to: hash)
            position += 1
        }
        return (hash, position)
    }

    /// The offset of the value after a context word: past spaces, `: # = - ( .` and filler words,
    /// within 32 bytes.
    func skipFiller(from index: Int) -> Int? {
        var position = index
        let limit = index + 32
        while position < limit, position < self.bytes.count {
            let byte = self.bytes[position]
            if byte == 0x20 || byte == 0x3A || byte == 0x23 || byte == 0x3D || byte == 0x2D || byte == 0x28
                || byte == 0x2E
                || byte == 0x09 || byte == 0x27 || byte == 0x22 || byte == 0x2C || byte == 0x0A || byte == 0x0D
            {
                position += 1
                continue
            }
            if GuardByte.isLetter(byte) {
                var end = position
                var hash = GuardHash.seed
                while GuardByte.isLetter(self[end]), end - position < 12 {
                    hash = GuardHash.add(GuardByte.lowercased(self[end]), to: hash)
                    end += 1
                }
                if Self.fillers.contains(hash), !GuardByte.isDigit(self[end]) {
                    position = end
                    continue
                }
            }
            return position
        }
        return nil
    }

    /// An identifier after a context word: letters, digits and inner dashes, up to 20 bytes,
    /// with at least `minimumDigits` digits (`MRN: 00482913`, `Member ID XJH-4471-0093`).
    private func identifier(after index: Int, minimumLength: Int, minimumDigits: Int) -> (Int, Int)? {
        guard let start = self.skipFiller(from: index), GuardByte.isAlphanumeric(self[start]) else { return nil }
        var end = start
        var digits = 0
        while GuardByte.isAlphanumeric(self[end])
            || self[end] == UInt8(ascii: "-") && GuardByte.isAlphanumeric(self[end + 1])
        {
            if GuardByte.isDigit(self[end]) { digits += 1 }
            end += 1
            if end - start > 20 { return nil }
        }
        guard end - start >= minimumLength, digits >= minimumDigits else { return nil }
        return (start, end)
    }

    /// Nine digits after "SSN" or "social security", bare or grouped 3-2-4, under the SSA's rules.
    func contextualSSN(from start: Int) -> Int? {
        if let end = self.socialSecurityNumber(from: start) { return end }
        guard let run = self.number(from: start, maximum: 9), run.length == 9, self.endsCleanly(at: run.end),
            Self.ssnValid(self.digitValues(start, run.end))
        else { return nil }
        return run.end
    }

    /// One to three capitalised words that are not common sentence words: a name after "my
    /// name is", "Dear", "Patient:".
    func personName(from start: Int) -> Int? {
        var index = start
        var end: Int?
        var words = 0
        while words < 3, GuardByte.isUpper(self[index]), let wordEnd = self.nameWord(from: index) {
            words += 1
            end = wordEnd
            guard self[wordEnd] == 0x20, GuardByte.isUpper(self[wordEnd + 1]) else { break }
            index = wordEnd + 1
        }
        return end
    }

    /// A capitalised name word (`Anna`, `O'Brien`, `Smith-Jones`) or an initial (`J.`), not a
    /// common sentence word; returns its end.
    private func nameWord(from start: Int) -> Int? {
        guard GuardByte.isUpper(self[start]) else { return nil }
        if self[start + 1] == UInt8(ascii: "."), !GuardByte.isLetter(self[start + 2]) { return start + 2 }
        var index = start + 1
        var hash = GuardHash.add(GuardByte.lowercased(self[start]), to: GuardHash.seed)
        while GuardByte.isLower(self[index]) || self[index] >= 0x80
            || GuardByte.isUpper(self[index]) && index > start + 1
                && (self[index - 1] == 0x27 || self[index - 1] == 0x2D)
            || (self[index] == 0x27 || self[index] == 0x2D) && GuardByte.isUpper(self[index + 1])
            || GuardByte.isUpper(self[index]) && self.bytes.guardHasPrefix("mc", at: start) && index == start + 2
        {
            hash = GuardHash.add(GuardByte.lowercased(self[index]), to: hash)
            index += 1
        }
        guard index - start >= 2, index - start <= 20, !GuardByte.isAlphanumeric(self[index]),
            !Self.notNames.contains(hash)
        else { return nil }
        return index
    }

    /// A name after an honorific (`Dr. Alvarez`, `Mrs Jane Doe`) or a common first name followed
    /// by a capitalised word (`Maria Lopez`), for the word from `index` to `end` whose letters
    /// hash to `hash`. The honorific itself is left out of the match.
    func nameAfterHonorificOrFirstName(at index: Int, end: Int, hash: UInt64) -> (Int, Int)? {
        if Self.honorifics.contains(hash) {
            var start = end
            if self[start] == UInt8(ascii: ".") { start += 1 }
            guard self[start] == 0x20, let nameEnd = self.personName(from: start + 1) else { return nil }
            return (start + 1, nameEnd)
        }
        if Self.firstNames.contains(hash), self[end] == 0x20, GuardByte.isUpper(self[end + 1]),
            let surnameEnd = self.personName(from: end + 1)
        {
            return (index, surnameEnd)
        }
        return nil
    }

    static let hashSign = GuardHash.of("#")
    static let hashColon = GuardHash.of(":")

    static let cues: GuardWordTable<Cue> = {
        var cues: [UInt64: Cue] = [:]
        for word in ["born", "birth", "birthday", "birthdate", "dob", "d"] { cues[GuardHash.of(word)] = .birth }
        for word in ["mrn", "mr"] { cues[GuardHash.of(word)] = .medicalRecord }
        for word in ["medical", "chart", "patient", "record"] { cues[GuardHash.of(word)] = .medicalRecordIfNext }
        for word in [
            "member", "subscriber", "beneficiary", "insurance", "policy", "medicare", "medicaid", "mbi", "hicn",
            "insured",
        ] {
            cues[GuardHash.of(word)] = .healthPlan
        }
        for word in ["health", "plan", "group"] { cues[GuardHash.of(word)] = .healthPlanIfNext }
        for word in ["ssn", "ssan"] { cues[GuardHash.of(word)] = .ssn }
        for word in ["social", "ss"] { cues[GuardHash.of(word)] = .ssnIfNext }
        for word in ["named", "dear", "signed", "sincerely", "regards", "patient", "mother", "father", "client"] {
            cues[GuardHash.of(word)] = cues[GuardHash.of(word)] ?? .name
        }
        cues[GuardHash.of("name")] = .nameIfNext
        return GuardWordTable(cues.map { ($0.key, $0.value) })
    }()

    /// The words after an `…IfNext` cue that confirm it ("medical *record*", "social *security*").
    static let confirmers: GuardWordTable<[Cue]> = {
        var confirmers: [UInt64: [Cue]] = [:]
        for word in ["record", "records", "number", "no", "id", "rec", "nr"] {
            confirmers[GuardHash.of(word), default: []].append(.medicalRecordIfNext)
        }
        for word in ["plan", "id", "number", "no", "nr"] {
            confirmers[GuardHash.of(word), default: []].append(.healthPlanIfNext)
        }
        for word in ["security", "sec"] { confirmers[GuardHash.of(word), default: []].append(.ssnIfNext) }
        confirmers[Self.hashSign, default: []].append(.ssnIfNext)
        for word in ["is", "was", ":"] { confirmers[GuardHash.of(word), default: []].append(.nameIfNext) }
        return GuardWordTable(confirmers.map { ($0.key, $0.value) })
    }()

    static let fillers = GuardWordTable(
        words: [
            "number", "no", "num", "id", "identifier", "is", "was", "of", "the", "record", "records", "card", "plan",
            "on", "in", "date", "at", "security", "sec", "my", "nr", "code", "be", "are", "o", "b",
        ],
        value: true
    )

    static let honorifics = GuardWordTable(
        words: ["mr", "mrs", "ms", "miss", "dr", "prof", "mx", "sir", "madam", "mister"],
        value: true
    )

    /// Capitalised words that start sentences or name things other than people.
    static let notNames = GuardWordTable(
        words: [
            "the", "a", "an", "this", "that", "these", "those", "it", "he", "she", "they", "we", "you", "i", "my",
            "your",
            "his", "her", "our", "their", "and", "or", "but", "if", "then", "when", "who", "what", "which", "where",
            "how",
            "why", "is", "was", "are", "not", "no", "yes", "please", "thanks", "thank", "hello", "hi", "dear", "team",
            "all", "sir", "madam", "customer", "user", "patient", "doctor", "nurse", "support", "admin", "manager",
            "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "street", "avenue", "road",
            "january", "february", "march", "april", "june", "july", "august", "september", "october", "november",
            "december", "unknown", "none", "redacted", "n", "na", "test", "example", "sample",
        ],
        value: true
    )

    /// Common given names in English-language records (US census and UK ONS lists), lower-cased.
    static let firstNames = GuardWordTable(
        words: [
            "james", "john", "robert", "michael", "william", "david", "richard", "joseph", "thomas", "charles",
            "christopher", "daniel", "matthew", "anthony", "mark", "donald", "steven", "paul", "andrew", "joshua",
            "kenneth", "kevin", "brian", "george", "timothy", "ronald", "edward", "jason", "jeffrey", "ryan", "jacob",
            "gary", "nicholas", "eric", "jonathan", "stephen", "larry", "justin", "scott", "brandon", "benjamin",
            "samuel",
            "gregory", "alexander", "frank", "patrick", "raymond", "jack", "dennis", "jerry", "tyler", "aaron", "jose",
            "adam", "nathan", "henry", "douglas", "zachary", "peter", "kyle", "noah", "ethan", "jeremy", "walter",
            "christian", "keith", "roger", "terry", "austin", "sean", "gerald", "carl", "harold", "dylan", "arthur",
            "lawrence", "jordan", "jesse", "bryan", "billy", "bruce", "gabriel", "joe", "logan", "alan", "juan",
            "oliver",
            "liam", "lucas", "mason", "elijah", "mary", "patricia", "jennifer", "linda", "elizabeth", "barbara",
            "susan",
            "jessica", "sarah", "karen", "lisa", "nancy", "betty", "sandra", "margaret", "ashley", "kimberly", "emily",
            "donna", "michelle", "carol", "amanda", "melissa", "deborah", "stephanie", "dorothy", "rebecca", "sharon",
            "laura", "cynthia", "amy", "kathleen", "angela", "shirley", "brenda", "emma", "anna", "pamela", "nicole",
            "samantha", "katherine", "christine", "helen", "debra", "rachel", "carolyn", "janet", "maria", "catherine",
            "heather", "diane", "olivia", "julie", "joyce", "victoria", "ruth", "virginia", "lauren", "kelly",
            "christina",
            "joan", "evelyn", "judith", "andrea", "hannah", "megan", "cheryl", "jacqueline", "martha", "madison",
            "teresa", "gloria", "sara", "janice", "ann", "kathryn", "abigail", "sophia", "frances", "jean", "alice",
            "judy", "isabella", "julia", "grace", "amber", "denise", "danielle", "marilyn", "beverly", "charlotte",
            "natalie", "theresa", "diana", "brittany", "doris", "kayla", "alexis", "lori", "ava", "mia", "chloe",
            "priya", "wei", "mohammed", "muhammad", "ahmed", "fatima", "aisha", "omar", "ali", "hiroshi", "yuki",
            "carlos", "luis", "miguel", "sofia", "lucia", "elena", "ivan", "olga", "anders", "lars", "ingrid", "pierre",
            "jean", "marie", "hans", "klaus", "giulia", "marco", "raj", "anil", "sunita", "chen", "li", "mei", "kenji",
        ],
        value: true
    )
}

/// FNV-1a over lower-cased ASCII bytes: word lookups without building a `String` per word.
enum GuardHash {
    static let seed: UInt64 = 0xCBF2_9CE4_8422_2325

    @inline(__always) static func add(_ byte: UInt8, to hash: UInt64) -> UInt64 {
        (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
    }

    static func of(_ word: String) -> UInt64 {
        word.utf8.reduce(Self.seed) { Self.add(GuardByte.lowercased($1), to: $0) }
    }
}
