/// Parsers for values made of digit groups: payment cards, SSNs, phone numbers, IPv4 addresses
/// and dates. Each takes the offset where a candidate begins and returns the offset just past
/// the value, or `nil`.
extension PIIDetector.Scanner {
    /// Whether the value that ends before `end` stops there: the next byte is no letter or
    /// digit, and no separator follows that joins more digits (`1.2.3.4.5`, `12/25/2024`).
    func endsCleanly(at end: Int) -> Bool {
        let next = self[end]
        if GuardByte.isAlphanumeric(next) || next == UInt8(ascii: "_") || next == UInt8(ascii: "@") { return false }
        if next == UInt8(ascii: ".") || next == UInt8(ascii: "-") || next == UInt8(ascii: "/")
            || next == UInt8(ascii: ":")
        {
            return !GuardByte.isDigit(self[end + 1])
        }
        return true
    }

    /// The digit groups from `start`, separated by one consistent separator (a space or a dash)
    /// or by none. Returns the end offset, the number of digits and of groups, or `nil` when a group
    /// is shorter than `minimumGroup` or more than `maximumDigits` digits are read.
    func digitGroups(
        from start: Int,
        minimumGroup: Int,
        maximumDigits: Int
    )
        -> (end: Int, digits: Int, groups: Int, firstGroup: Int)?
    {
        var index = start
        var digits = 0
        var groups = 0
        var firstGroup = 0
        var separator: UInt8 = 0
        while true {
            let groupStart = index
            while GuardByte.isDigit(self[index]) {
                index += 1
                digits += 1
                if digits > maximumDigits { return nil }
            }
            let length = index - groupStart
            if groups == 0 { firstGroup = length }
            groups += 1
            let next = self[index]
            guard next == 0x20 || next == 0x2D, separator == 0 || separator == next, GuardByte.isDigit(self[index + 1])
            else {
                break
            }
            if length < minimumGroup { return nil }
            separator = next
            index += 1
        }
        if groups > 1, index - self.lastGroupStart(before: index) < minimumGroup { return nil }
        return (index, digits, groups, firstGroup)
    }

    private func lastGroupStart(before end: Int) -> Int {
        var index = end
        while index > 0, GuardByte.isDigit(self.bytes[index - 1]) { index -= 1 }
        return index
    }

    /// The digit values between `start` and `end`, separators skipped (at most 19 are read).
    func digitValues(_ start: Int, _ end: Int) -> [UInt8] {
        var values: [UInt8] = []
        values.reserveCapacity(19)
        for index in start..<end where GuardByte.isDigit(self.bytes[index]) {
            values.append(self.bytes[index] - 0x30)
        }
        return values
    }

    /// A payment card number: 13 to 19 digits, contiguous or in groups of 3 to 6 joined by
    /// spaces or dashes, with the prefix of a major brand (Visa, Mastercard, American Express,
    /// Discover, Diners Club, JCB, UnionPay, Maestro) at that brand's length, and a valid Luhn
    /// check digit. Refuses longer digit runs, other prefixes and failed checksums.
    func paymentCard(from start: Int) -> Int? {
        guard let run = self.digitGroups(from: start, minimumGroup: 3, maximumDigits: 19),
            run.digits >= 13, run.groups == 1 || run.firstGroup >= 4, self.endsCleanly(at: run.end)
        else { return nil }
        let digits = self.digitValues(start, run.end)
        guard Self.cardBrandAccepts(digits), GuardChecksum.luhn(digits) else { return nil }
        return run.end
    }

    static func cardBrandAccepts(_ digits: [UInt8]) -> Bool {
        let count = digits.count
        func prefix(_ length: Int) -> Int { digits.prefix(length).reduce(0) { $0 * 10 + Int($1) } }
        switch digits[0] {
        case 4: return count == 13 || count == 16 || count == 19
        case 5:
            let two = prefix(2)
            if (51...55).contains(two) { return count == 16 }
            return two == 50 || (56...58).contains(two)
        case 2: return (2221...2720).contains(prefix(4)) && count == 16
        case 3:
            let two = prefix(2)
            if two == 34 || two == 37 { return count == 15 }
            if (300...305).contains(prefix(3)) || two == 36 || two == 38 || two == 39 { return count >= 14 }
            return (3528...3589).contains(prefix(4)) && count >= 16
        case 6:
            let two = prefix(2)
            if prefix(4) == 6011 || two == 65 || (644...649).contains(prefix(3)) || two == 62 { return count >= 16 }
            return two == 63 || two == 67
        default: return false
        }
    }

    /// A US Social Security number written `AAA-GG-SSSS` or `AAA GG SSSS`, under the SSA's
    /// rules: no area 000, 666 or 900–999, no group 00, no serial 0000. Nine bare digits are
    /// taken only after a context word (``contextualSSN(from:)``).
    func socialSecurityNumber(from start: Int) -> Int? {
        guard let run = self.digitGroups(from: start, minimumGroup: 2, maximumDigits: 9),
            run.digits == 9, run.groups == 3, self.endsCleanly(at: run.end)
        else { return nil }
        guard self[start + 3] == self[start + 6], !GuardByte.isDigit(self[start + 3]) else { return nil }
        return Self.ssnValid(self.digitValues(start, run.end)) ? run.end : nil
    }

    static func ssnValid(_ digits: [UInt8]) -> Bool {
        let area = Int(digits[0]) * 100 + Int(digits[1]) * 10 + Int(digits[2])
        let group = Int(digits[3]) * 10 + Int(digits[4])
        let serial = digits[5...].reduce(0) { $0 * 10 + Int($1) }
        return area != 0 && area != 666 && area < 900 && group != 0 && serial != 0
    }

    /// A phone number:
    /// - international, `+` and 8 to 15 digits in any grouping (`+44 20 7946 0958`,
    ///   `+1 (555) 123-4567`, `+4915112345678`);
    /// - North American, `(NXX) NXX-XXXX`, `NXX-NXX-XXXX`, `NXX.NXX.XXXX`, `NXX NXX XXXX`,
    ///   optionally after `1-`, with area and exchange codes that start with 2–9;
    /// - any other grouping of 7 to 15 digits (national formats such as `020 7946 0958`, or ten
    ///   bare digits) only after a context word such as "phone", "call" or "fax".
    /// Refuses dates, times, version strings and digit runs that continue with a letter.
    func phone(from start: Int) -> Int? {
        var index = start
        let international = self[index] == UInt8(ascii: "+")
        if international { index += 1 }
        // Group lengths, four bits each, first group lowest: no array per candidate.
        var groups = GroupShape()
        var digits = 0
        var parenthesised = false
        var separator: UInt8 = 0
        var mixedSeparators = false
        var singleDigitGroups = 0
        // The end of the last complete group: a separator or bracket that leads nowhere is not part of the number.
        var end = index
        while groups.count < 8 {
            if self[index] == UInt8(ascii: "(") {
                let open = index
                var close = index + 1
                while GuardByte.isDigit(self[close]) { close += 1 }
                guard close > open + 1, close - open - 1 <= 4, self[close] == UInt8(ascii: ")") else { break }
                groups.append(close - open - 1)
                digits += close - open - 1
                parenthesised = parenthesised || open == start || groups.count == 2
                index = close + 1
                end = index
            } else if GuardByte.isDigit(self[index]) {
                let groupStart = index
                while GuardByte.isDigit(self[index]), index - groupStart < 16 { index += 1 }
                // A second one-digit group after the first (`1 2 3 4`) is a list, not a phone number.
                if index - groupStart == 1, groups.count > 0 {
                    if singleDigitGroups > 0 { break }
                    singleDigitGroups += 1
                }
                groups.append(index - groupStart)
                digits += index - groupStart
                end = index
            } else {
                break
            }
            if digits > 15 { return nil }
            let next = self[index]
            let after = self[index + 1]
            if next == 0x20 || next == 0x2D || next == 0x2E,
                GuardByte.isDigit(after) || after == 0x28 && GuardByte.isDigit(self[index + 2])
            {
                if separator == 0 { separator = next } else if separator != next { mixedSeparators = true }
                index += 1
            } else if next == 0x28 && GuardByte.isDigit(after) || GuardByte.isDigit(next) && self[index - 1] == 0x29 {
                // `+44(0)20…` and `(0)20`: a bracketed group with no separator around it.
                continue
            } else {
                break
            }
        }
        guard groups.count > 0, digits <= 15, self.endsCleanly(at: end) else { return nil }
        if international {
            return digits >= 8 ? end : nil
        }
        // Three groups need a visible separator or parentheses: ten bare digits are an id as often as a phone.
        let separated = parenthesised || (separator != 0 && !mixedSeparators)
        if separated, self.isNorthAmerican(groups, start: start, end: end) {
            return end
        }
        guard digits >= 7, groups.count >= 2 || digits == 10, !groups.looksLikeDateOrTime(dashed: separator == 0x2D),
            self.hasPhoneContext(before: start)
        else { return nil }
        return end
    }

    /// The lengths of up to eight digit groups, packed four bits each.
    struct GroupShape: Equatable {
        var packed: UInt64 = 0
        var count = 0

        mutating func append(_ length: Int) {
            self.packed |= UInt64(min(length, 15)) << UInt64(4 * self.count)
            self.count += 1
        }

        subscript(_ index: Int) -> Int { Int((self.packed >> UInt64(4 * index)) & 0xF) }

        /// The shape of the groups `lengths` (at most eight, each under 16).
        static func of(_ lengths: [Int]) -> GroupShape {
            var shape = GroupShape()
            for length in lengths { shape.append(length) }
            return shape
        }

        static let northAmerican = Self.of([3, 3, 4])
        static let northAmericanWithTrunk = Self.of([1, 3, 3, 4])
        static let dates = [Self.of([4, 2, 2]), Self.of([2, 2, 4]), Self.of([2, 2, 2])]

        func looksLikeDateOrTime(dashed: Bool) -> Bool {
            Self.dates.contains(self) || self[0] == 4 && self.count >= 3 && dashed
        }
    }

    /// The words that make a digit group a phone number ("call 020 7946 0958").
    static let phoneContext = GuardWordTable(
        words: [
            "phone", "tel", "telephone", "call", "mobile", "cell", "fax", "whatsapp", "text", "ring", "contact",
            "reach",
            "number", "dial", "landline", "sms",
        ],
        value: true
    )

    /// Whether a phone context word ends within 40 bytes before `start`. The word pass recorded
    /// where each one ends, so this reads that short list, not the text again.
    func hasPhoneContext(before start: Int) -> Bool {
        // The last cue that ends at or before `start`, by binary search.
        var low = 0
        var high = self.phoneCues.count
        while low < high {
            let middle = (low + high) / 2
            if self.phoneCues[middle] <= start { low = middle + 1 } else { high = middle }
        }
        return low > 0 && self.phoneCues[low - 1] >= start - 40
    }

    /// `NXX-NXX-XXXX`, optionally after a `1` group, with area and exchange codes that start with 2–9.
    private func isNorthAmerican(_ groups: GroupShape, start: Int, end: Int) -> Bool {
        let withTrunk = groups == GroupShape.northAmericanWithTrunk
        guard groups == GroupShape.northAmerican || withTrunk else { return false }
        var digits = self.digitValues(start, end)
        if withTrunk {
            guard digits[0] == 1 else { return false }
            digits.removeFirst()
        }
        return digits[0] >= 2 && digits[3] >= 2
    }

    /// An IPv4 address in dotted-quad form, each octet 0–255 without leading zeros, not part of a
    /// longer dotted run and not after "version", "v" or "build". A port or prefix length after
    /// it (`:8080`, `/24`) is left out of the match.
    func ipv4(from start: Int) -> Int? {
        var index = start
        for octet in 0..<4 {
            let octetStart = index
            var value = 0
            while GuardByte.isDigit(self[index]), index - octetStart < 3 {
                value = value * 10 + GuardByte.digitValue(self[index])
                index += 1
            }
            let length = index - octetStart
            guard length > 0, value <= 255, !GuardByte.isDigit(self[index]), length == 1 || self[octetStart] != 0x30
            else {
                return nil
            }
            if octet < 3 {
                guard self[index] == UInt8(ascii: "."), GuardByte.isDigit(self[index + 1]) else { return nil }
                index += 1
            }
        }
        let next = self[index]
        if GuardByte.isLetter(next) || next == UInt8(ascii: "_") { return nil }
        if next == UInt8(ascii: "."), GuardByte.isDigit(self[index + 1]) { return nil }
        if self.bytes.guardHasContext(Self.versionContext, before: start, window: 10) {
            return nil
        }
        return index
    }

    static let versionContext: [StaticString] = ["version", "ver", "release", "build", "v", "firmware", "rev"]

    /// A calendar date: `1984-03-05`, `03/05/1984`, `5.3.84`, `March 5, 1984`, `Mar 5th 1984`,
    /// `5 March 1984`, `5th of March, 1984`, `05-Mar-1984`. Month and day must be in range (for
    /// `a/b/y`, either reading); years are two digits or 1900–2099. Returns the end offset.
    func date(from start: Int) -> Int? {
        if GuardByte.isDigit(self[start]) {
            if let end = self.numericDate(from: start) { return end }
            return self.dayMonthDate(from: start)
        }
        return self.monthDayDate(from: start)
    }

    /// Reads up to `maximum` digits; returns the value and the end offset.
    func number(from start: Int, maximum: Int) -> (value: Int, end: Int, length: Int)? {
        var index = start
        var value = 0
        while GuardByte.isDigit(self[index]), index - start < maximum {
            value = value * 10 + GuardByte.digitValue(self[index])
            index += 1
        }
        guard index > start, !GuardByte.isDigit(self[index]) else { return nil }
        return (value, index, index - start)
    }

    private func numericDate(from start: Int) -> Int? {
        guard let first = self.number(from: start, maximum: 4) else { return nil }
        let separator = self[first.end]
        guard separator == 0x2F || separator == 0x2D || separator == 0x2E,
            let second = self.number(from: first.end + 1, maximum: 2), self[second.end] == separator,
            let third = self.number(from: second.end + 1, maximum: 4), self.endsCleanly(at: third.end)
        else { return nil }
        if first.length == 4 {
            guard Self.validYear(first.value, digits: 4), third.length <= 2,
                Self.validDay(third.value, month: second.value)
            else { return nil }
            return third.end
        }
        guard first.length <= 2, third.length == 2 || third.length == 4,
            Self.validYear(third.value, digits: third.length)
        else { return nil }
        let monthFirst = Self.validDay(second.value, month: first.value)
        let dayFirst = Self.validDay(first.value, month: second.value)
        return monthFirst || dayFirst ? third.end : nil
    }

    static func validYear(_ year: Int, digits: Int) -> Bool { digits == 2 || (1900...2099).contains(year) }

    static func validDay(_ day: Int, month: Int) -> Bool {
        guard (1...12).contains(month), day >= 1 else { return false }
        let lengths = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        return day <= lengths[month - 1]
    }

    /// `5 March 1984`, `5th of March, 1984`, `05-Mar-1984`.
    private func dayMonthDate(from start: Int) -> Int? {
        guard let day = self.number(from: start, maximum: 2) else { return nil }
        var index = self.skipOrdinalSuffix(day.end)
        let separator = self[index]
        guard separator == 0x20 || separator == 0x2D else { return nil }
        index += 1
        if self.bytes.guardHasPrefix("of ", at: index) { index += 3 }
        guard let (month, monthEnd) = self.monthName(at: index), Self.validDay(day.value, month: month) else {
            return nil
        }
        index = monthEnd
        if self[index] == UInt8(ascii: ",") { index += 1 }
        guard self[index] == separator || self[index] == 0x20, let year = self.number(from: index + 1, maximum: 4),
            year.length == 4, Self.validYear(year.value, digits: 4), self.endsCleanly(at: year.end)
        else { return nil }
        return year.end
    }

    /// `March 5, 1984`, `Mar. 5th 1984`.
    private func monthDayDate(from start: Int) -> Int? {
        guard let (month, monthEnd) = self.monthName(at: start), self[monthEnd] == 0x20,
            let day = self.number(from: monthEnd + 1, maximum: 2), Self.validDay(day.value, month: month)
        else { return nil }
        var index = self.skipOrdinalSuffix(day.end)
        if self[index] == UInt8(ascii: ",") { index += 1 }
        guard self[index] == 0x20, let year = self.number(from: index + 1, maximum: 4), year.length == 4,
            Self.validYear(year.value, digits: 4), self.endsCleanly(at: year.end)
        else { return nil }
        return year.end
    }

    private func skipOrdinalSuffix(_ index: Int) -> Int {
        for suffix: StaticString in ["st", "nd", "rd", "th"] where self.bytes.guardHasPrefix(suffix, at: index) {
            if !GuardByte.isLetter(self[index + 2]) { return index + 2 }
        }
        return index
    }

    /// A month's English name or its three-letter abbreviation (`Sept` too), with an optional
    /// dot after an abbreviation: the month number and the end offset.
    func monthName(at index: Int) -> (Int, Int)? {
        guard GuardByte.isLetter(self[index]) else { return nil }
        for (number, name) in Self.months.enumerated() {
            if self.bytes.guardHasPrefix(name, at: index) {
                let end = index + name.utf8CodeUnitCount
                if !GuardByte.isLetter(self[end]) { return (number + 1, end) }
            }
            let abbreviationEnd = index + 3
            if self.bytes.guardHasPrefix(Self.abbreviations[number], at: index) {
                var end = abbreviationEnd
                if number == 8, GuardByte.lowercased(self[end]) == UInt8(ascii: "t") { end += 1 }
                guard !GuardByte.isLetter(self[end]) else { continue }
                if self[end] == UInt8(ascii: ".") { end += 1 }
                return (number + 1, end)
            }
        }
        return nil
    }

    static let months: [StaticString] = [
        "january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november",
        "december",
    ]
    static let abbreviations: [StaticString] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ]
}
