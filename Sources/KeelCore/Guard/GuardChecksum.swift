/// The check-digit schemes that separate real account numbers from look-alike digit strings.
enum GuardChecksum {
    /// Whether `digits` (values 0–9) pass the Luhn check (ISO/IEC 7812-1) that every payment card
    /// number carries. A random digit string passes one time in ten.
    static func luhn(_ digits: some Collection<UInt8>) -> Bool {
        var sum = 0
        var double = false
        for digit in digits.reversed() {
            var value = Int(digit)
            if double {
                value *= 2
                if value > 9 { value -= 9 }
            }
            sum += value
            double.toggle()
        }
        return sum % 10 == 0
    }

    /// Whether `characters` (upper-case ASCII letters and digits, no spaces) are an IBAN whose
    /// length matches its country and whose ISO 7064 mod 97-10 check gives 1. A random string of
    /// the right shape passes about one time in 97.
    static func iban(_ characters: [UInt8]) -> Bool {
        guard characters.count >= 15, characters.count <= 34,
            let expected = Self.ibanLength(characters[0], characters[1]), expected == characters.count,
            GuardByte.isDigit(characters[2]), GuardByte.isDigit(characters[3])
        else { return false }
        var remainder = 0
        for index in 0..<characters.count {
            let character = characters[(index + 4) % characters.count]
            if GuardByte.isDigit(character) {
                remainder = (remainder * 10 + GuardByte.digitValue(character)) % 97
            } else if GuardByte.isUpper(character) {
                remainder = (remainder * 100 + Int(character - 0x41) + 10) % 97
            } else {
                return false
            }
        }
        return remainder == 1
    }

    /// The IBAN length of a country (SWIFT's IBAN registry), or `nil` for a code that issues none.
    static func ibanLength(_ first: UInt8, _ second: UInt8) -> Int? {
        Self.ibanLengths[UInt16(first) << 8 | UInt16(second)]
    }

    private static let ibanLengths: [UInt16: Int] = {
        let table: [(StaticString, Int)] = [
            ("AD", 24), ("AE", 23), ("AL", 28), ("AT", 20), ("AZ", 28), ("BA", 20), ("BE", 16), ("BG", 22), ("BH", 22),
            ("BI", 27), ("BR", 29), ("BY", 28), ("CH", 21), ("CR", 22), ("CY", 28), ("CZ", 24), ("DE", 22), ("DJ", 27),
            ("DK", 18), ("DO", 28), ("EE", 20), ("EG", 29), ("ES", 24), ("FI", 18), ("FK", 18), ("FO", 18), ("FR", 27),
            ("GB", 22), ("GE", 22), ("GI", 23), ("GL", 18), ("GR", 27), ("GT", 28), ("HR", 21), ("HU", 28), ("IE", 22),
            ("IL", 23), ("IQ", 23), ("IS", 26), ("IT", 27), ("JO", 30), ("KW", 30), ("KZ", 20), ("LB", 28), ("LC", 32),
            ("LI", 21), ("LT", 20), ("LU", 20), ("LV", 21), ("LY", 25), ("MC", 27), ("MD", 24), ("ME", 22), ("MK", 19),
            ("MN", 20), ("MR", 27), ("MT", 31), ("MU", 30), ("NI", 28), ("NL", 18), ("NO", 15), ("OM", 23), ("PK", 24),
            ("PL", 28), ("PS", 29), ("PT", 25), ("QA", 29), ("RO", 24), ("RS", 22), ("RU", 33), ("SA", 24), ("SC", 31),
            ("SD", 18), ("SE", 24), ("SI", 19), ("SK", 24), ("SM", 27), ("SO", 23), ("ST", 25), ("SV", 28), ("TL", 23),
            ("TN", 24), ("TR", 26), ("UA", 29), ("VA", 22), ("VG", 24), ("XK", 20), ("YE", 30),
        ]
        var lengths: [UInt16: Int] = [:]
        for (code, length) in table {
            lengths[UInt16(code.utf8Start[0]) << 8 | UInt16(code.utf8Start[1])] = length
        }
        return lengths
    }()
}
