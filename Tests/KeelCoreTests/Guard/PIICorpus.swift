import Foundation
import KeelCore

/// A generated corpus of sentences that hold personal data, each with the value it holds and where,
/// and of sentences that hold only look-alikes (order numbers, versions, timestamps, numbers that
/// fail their checksums). Built by a seeded generator so every run sees the same sentences.
struct PIICorpus {
    struct Sentence {
        var text: String
        /// The expected value, as a half-open range of Unicode scalar offsets, or `nil` for a
        /// sentence that holds none.
        var expected: (type: GuardFindingType, start: Int, end: Int)?
    }

    var random: SplitMix64

    init(seed: UInt64) {
        self.random = SplitMix64(seed: seed)
    }

    mutating func pick<T>(_ options: [T]) -> T { options.randomElement(using: &self.random)! }
    mutating func digit(_ range: ClosedRange<Int> = 0...9) -> String {
        String(Int.random(in: range, using: &self.random))
    }
    mutating func digits(_ count: Int) -> String { (0..<count).map { _ in self.digit() }.joined() }
    mutating func number(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &self.random) }
    mutating func chance(_ probability: Double) -> Bool { Double.random(in: 0..<1, using: &self.random) < probability }
    mutating func letters(_ count: Int, from alphabet: String = "ABCDEFGHIJKLMNOPQRSTUVWXYZ") -> String {
        String((0..<count).map { _ in alphabet.randomElement(using: &self.random)! })
    }

    /// A sentence from `template`, whose `{}` is replaced by `value`.
    func sentence(_ template: String, _ value: String, _ type: GuardFindingType) -> Sentence {
        let parts = template.components(separatedBy: "{}")
        let start = parts[0].unicodeScalars.count
        return Sentence(text: parts[0] + value + parts[1], expected: (type, start, start + value.unicodeScalars.count))
    }

    mutating func sentences(of type: GuardFindingType, count: Int) -> [Sentence] {
        (0..<count).map { _ in self.sentence(of: type) }
    }

    static let firstNames = [
        "Maria", "James", "Anna", "Robert", "Sarah", "Wei", "Priya", "Carlos", "Fatima", "John", "Elena", "Kenji",
        "Olivia", "David", "Aisha", "Lars", "Hannah", "Michael", "Grace", "Omar",
    ]
    static let surnames = [
        "Lopez", "Smith", "Kowalski", "O'Brien", "Chen", "Patel", "Nguyen", "Müller", "García", "Okafor", "Johnson",
        "Rossi", "Andersen", "McDonald", "Smith-Jones", "Tanaka", "Schmidt", "Dubois", "Haddad", "Ivanova",
    ]
    static let words = [
        "quarterly", "report", "meeting", "update", "customer", "ticket", "invoice", "shipment", "project", "budget",
    ]

    mutating func sentence(of type: GuardFindingType) -> Sentence {
        switch type {
        case .email:
            let local = self.pick([
                "\(self.pick(Self.firstNames).lowercased()).\(self.pick(Self.surnames).lowercased().filter(\.isLetter))",
                "\(self.pick(Self.firstNames).lowercased())+\(self.pick(["news", "billing", "test", "2024"]))",
                "\(self.pick(Self.firstNames).lowercased())_\(self.digits(2))", "j\(self.digits(3))", "info",
                "support-team",
            ])
            let domain = self.pick([
                "example.com", "mail.example.co.uk", "dept.example.org", "gmail.com", "company.io", "uni.ac.jp",
                "sub.mail.example.net", "my-company.de",
            ])
            let template = self.pick([
                "Please email {} about the invoice.", "Contact: <{}>", "You can reach me at {}.",
                "Send the file to {}, thanks!",
                "(cc {})", "mailto:{}", "Reply-To: {}\nSubject: hello", "Her address is {}; his is unknown.",
            ])
            return self.sentence(template, "\(local)@\(domain)", .email)
        case .phone:
            let area = "\(self.digit(2...9))\(self.digits(2))"
            let exchange = "\(self.digit(2...9))\(self.digits(2))"
            let line = self.digits(4)
            let value = self.pick([
                "(\(area)) \(exchange)-\(line)", "\(area)-\(exchange)-\(line)", "\(area).\(exchange).\(line)",
                "\(area) \(exchange) \(line)", "+1 \(area) \(exchange) \(line)", "+1-\(area)-\(exchange)-\(line)",
                "1-\(area)-\(exchange)-\(line)", "+1 (\(area)) \(exchange)-\(line)",
                "+44 20 \(self.digits(4)) \(self.digits(4))",
                "+44 7700 \(self.digits(6))", "+49 30 \(self.digits(8))",
                "+33 1 \(self.digits(2)) \(self.digits(2)) \(self.digits(2)) \(self.digits(2))",
                "+81 3-\(self.digits(4))-\(self.digits(4))", "+61 2 \(self.digits(4)) \(self.digits(4))",
                "+91 \(self.digits(5)) \(self.digits(5))",
                "+34 612 \(self.digits(3)) \(self.digits(3))", "+39 06 \(self.digits(4)) \(self.digits(4))",
                "+55 11 9\(self.digits(4))-\(self.digits(4))",
                "+4915\(self.digits(9))", "+44 (0)20 \(self.digits(4)) \(self.digits(4))",
            ])
            let template = self.pick([
                "Call me at {} after five.", "Phone: {}", "My number is {}.", "You can text {} any time",
                "Tel. {} (office)", "Reach the front desk on {}, or by email.", "Contact {} for support.",
                "{} is my mobile.",
            ])
            return self.sentence(template, value, .phone)
        case .usSSN:
            var area = self.number(1...899)
            if area == 666 { area = 667 }
            let group = self.number(1...99)
            let serial = self.number(1...9999)
            let parts = [String(format3: area), String(format2: group), String(format4: serial)]
            let value = self.pick([parts.joined(separator: "-"), parts.joined(separator: " ")])
            let template = self.pick([
                "SSN: {}", "My social security number is {}.", "The form lists {} as the SSN.", "ssn {} on file",
            ])
            return self.sentence(template, value, .usSSN)
        case .paymentCard:
            let value = self.card(valid: true)
            let template = self.pick([
                "Card number {} expires 04/27.", "Pay with {}", "charged to card {}, thanks", "My Visa is {}.",
                "cc: {} cvv 123", "Use the card ({}) for the hotel.",
            ])
            return self.sentence(template, value, .paymentCard)
        case .iban:
            let value = self.iban(valid: true)
            let template = self.pick([
                "IBAN: {}", "Please transfer to {} by Friday.", "Account {} (Sparkasse)", "wire it to {}.",
            ])
            return self.sentence(template, value, .iban)
        case .ipAddress:
            let v4 = "\(self.number(1...223)).\(self.number(0...255)).\(self.number(0...255)).\(self.number(1...254))"
            var hex: (Int) -> [String] = { _ in [] }
            var generator = self.random
            hex = { (n: Int) -> [String] in
                (0..<n).map { _ in String(Int.random(in: 1...0xFFFF, using: &generator), radix: 16) }
            }
            defer { self.random = generator }
            let value = self.pick([
                v4, v4, hex(8).joined(separator: ":"), "2001:db8::\(hex(1)[0])",
                "fe80::\(hex(4).joined(separator: ":"))",
                "::1", "::ffff:\(v4)", "\(hex(3).joined(separator: ":"))::\(hex(2).joined(separator: ":"))",
            ])
            let template = self.pick([
                "The server at {} refused the connection.", "Login from {} at 09:14", "ssh admin@{}", "Blocked IP: {}",
                "client={} method=GET", "The request came from {}.",
            ])
            return self.sentence(template, value, .ipAddress)
        case .url:
            let value = self.pick([
                "https://www.example.com/account/\(self.digits(5))", "http://sub.example.org/a/b?x=\(self.digits(3))",
                "www.example.co.uk/page", "https://example.com/search?q=red+shoes&lang=en#results",
                "https://docs.example.io/v2/guide_(draft)", "ftp://files.example.net/pub/file.tar.gz",
                "https://\(self.pick(Self.firstNames).lowercased()).example.com/profile",
            ])
            let template = self.pick([
                "See {} for details.", "Link: {}", "(source: {})", "Open {}, then log in.", "Docs at <{}>", "visit {}!",
            ])
            return self.sentence(template, value, .url)
        case .dateOfBirth:
            let year = self.number(1930...2010)
            let month = self.number(1...12)
            let day = self.number(1...28)
            let months = [
                "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                "November", "December",
            ]
            let value = self.pick([
                "\(String(format2: month))/\(String(format2: day))/\(year)", "\(day).\(month).\(year)",
                "\(year)-\(String(format2: month))-\(String(format2: day))",
                "\(months[month - 1]) \(day), \(year)", "\(day) \(months[month - 1]) \(year)",
                "\(String(months[month - 1].prefix(3))) \(day) \(year)",
                "\(day)th of \(months[month - 1]), \(year)",
                "\(String(format2: day))-\(String(months[month - 1].prefix(3)))-\(year)",
                "\(month)/\(day)/\(year % 100 < 10 ? "0" : "")\(year % 100)",
            ])
            let template = self.pick([
                "Patient was born on {}.", "DOB: {}", "Date of birth: {}", "My birthday is {} and I live in Leeds.",
                "D.O.B. {}", "born {} in Lyon", "Birthdate {}; height 180 cm.",
            ])
            return self.sentence(template, value, .dateOfBirth)
        case .medicalRecordNumber:
            let value = self.pick([
                self.digits(8), "\(self.digits(4))-\(self.digits(4))", "A\(self.digits(7))", "MR\(self.digits(6))",
                self.digits(10),
            ])
            let template = self.pick([
                "MRN: {}", "Medical record number {} was merged.", "MRN #{} admitted today", "Medical Record No. {}",
                "patient ID {} in ward 5", "Chart number: {}",
            ])
            return self.sentence(template, value, .medicalRecordNumber)
        case .healthPlanNumber:
            let value = self.pick([
                "\(self.letters(3))\(self.digits(9))", "HP-\(self.digits(4))-\(self.digits(4))",
                "\(self.digit(1...9))\(self.letters(1, from: "ACDEFGHJKMNPQRTUVWXY"))\(self.letters(1, from: "ACDEFGHJKMNPQRTUVWXY"))\(self.digit())-\(self.letters(2, from: "ACDEFGHJKMNPQRTUVWXY"))\(self.digit())-\(self.letters(2, from: "ACDEFGHJKMNPQRTUVWXY"))\(self.digits(2))",
                "W\(self.digits(9))", self.digits(9),
            ])
            let template = self.pick([
                "Member ID: {}", "Health plan number {} is active.", "Medicare number {}",
                "Insurance policy number: {}",
                "Subscriber ID {} (primary)", "Medicaid {} renewed", "Beneficiary ID: {}",
            ])
            return self.sentence(template, value, .healthPlanNumber)
        case .streetAddress:
            let street = self.pick([
                "Main", "Baker", "Lincoln", "Oak", "Maple Grove", "Martin Luther King", "5th", "Elm", "Sunset", "Park",
            ])
            let suffix = self.pick([
                "Street", "St", "St.", "Avenue", "Ave.", "Road", "Rd", "Boulevard", "Blvd", "Lane", "Drive", "Court",
                "Way", "Place", "Terrace",
            ])
            var value =
                "\(self.number(1...9999))\(self.chance(0.1) ? "B" : "") \(self.chance(0.2) ? "N. " : "")\(street) \(suffix)"
            if self.chance(0.3) {
                value +=
                    ", \(self.pick(["Apt", "Suite", "Unit", "#"])) \(self.number(1...999))\(self.chance(0.3) ? "B" : "")"
            }
            if self.chance(0.4) {
                value +=
                    ", \(self.pick(["Springfield", "Chicago", "San Jose", "Portland"])), \(self.pick(["IL", "CA", "OR", "NY"])) \(self.digits(5))"
            }
            let template = self.pick([
                "Ship it to {} please.", "I live at {}.", "Address: {}", "The office moved to {} last year.",
                "{} is the venue",
            ])
            return self.sentence(template, value, .streetAddress)
        case .personName:
            let name = "\(self.pick(Self.firstNames)) \(self.pick(Self.surnames))"
            let template = self.pick([
                "Dr. {} will see you now.", "My name is {}.", "Patient: {}", "Dear {},", "Sincerely,\n{}",
                "Mrs {} called twice.",
                "{} signed the form.", "Name: {}", "Prof. {} teaches the course.", "The client named {} left a review.",
            ])
            return self.sentence(template, name, .personName)
        default:
            preconditionFailure("not a personal data type")
        }
    }

    /// A card number of a major brand, valid or with a wrong check digit, contiguous or grouped.
    mutating func card(valid: Bool) -> String {
        let (prefix, length) = self.pick([
            ("4", 16), ("4", 13), ("51", 16), ("55", 16), ("2221", 16), ("2720", 16), ("34", 15), ("37", 15),
            ("6011", 16),
            ("65", 16), ("36", 14), ("3528", 16), ("3589", 16), ("62", 16), ("62", 19), ("4", 19),
        ])
        var digits = prefix.map { Int(String($0))! }
        while digits.count < length - 1 { digits.append(self.number(0...9)) }
        var check = 0
        for candidate in 0...9 where Self.luhn(digits + [candidate]) { check = candidate }
        if !valid { check = (check + self.number(1...9)) % 10 }
        digits.append(check)
        let text = digits.map { String($0) }.joined()
        let separator = self.pick(["", " ", "-"])
        guard !separator.isEmpty else { return text }
        let groups: [Int] =
            length == 15
            ? [4, 6, 5]
            : length == 14 ? [4, 6, 4] : length == 13 ? [4, 4, 5] : length == 19 ? [4, 4, 4, 4, 3] : [4, 4, 4, 4]
        var parts: [String] = []
        var index = text.startIndex
        for group in groups {
            let end = text.index(index, offsetBy: group)
            parts.append(String(text[index..<end]))
            index = end
        }
        return parts.joined(separator: separator)
    }

    static func luhn(_ digits: [Int]) -> Bool {
        var sum = 0
        for (offset, digit) in digits.reversed().enumerated() {
            var value = digit
            if offset % 2 == 1 {
                value *= 2
                if value > 9 { value -= 9 }
            }
            sum += value
        }
        return sum % 10 == 0
    }

    /// An IBAN of one of 16 countries with a random account part, valid or with wrong check digits.
    mutating func iban(valid: Bool) -> String {
        let (country, bban) = self.pick([
            ("DE", self.digits(18)), ("GB", "\(self.letters(4))\(self.digits(14))"),
            ("FR", "\(self.digits(10))\(self.letters(1))\(self.digits(12))"),
            ("ES", self.digits(20)), ("IT", "\(self.letters(1))\(self.digits(22))"),
            ("NL", "\(self.letters(4))\(self.digits(10))"),
            ("BE", self.digits(12)), ("CH", self.digits(17)), ("AT", self.digits(16)), ("PL", self.digits(24)),
            ("SE", self.digits(20)),
            ("NO", self.digits(11)), ("DK", self.digits(14)), ("FI", self.digits(14)),
            ("IE", "\(self.letters(4))\(self.digits(14))"),
            ("PT", self.digits(21)),
        ])
        var check = 98 - Self.mod97(bban + country + "00")
        if !valid { check = (check + self.number(1...96) - 2) % 97 + 2 }
        let compact = country + String(format2: check) + bban
        guard self.chance(0.5) else { return compact }
        var groups: [String] = []
        var index = compact.startIndex
        while index < compact.endIndex {
            let end = compact.index(index, offsetBy: 4, limitedBy: compact.endIndex) ?? compact.endIndex
            groups.append(String(compact[index..<end]))
            index = end
        }
        return groups.joined(separator: " ")
    }

    static func mod97(_ text: String) -> Int {
        var remainder = 0
        for character in text {
            if let value = character.wholeNumberValue {
                remainder = (remainder * 10 + value) % 97
            } else {
                remainder = (remainder * 100 + Int(character.asciiValue! - 55)) % 97
            }
        }
        return remainder
    }

    /// Sentences with values that look like personal data but are not: what must not be flagged.
    mutating func lookAlikes(count: Int) -> [Sentence] {
        (0..<count).map { _ in
            let text: String
            switch self.number(0...17) {
            case 0: text = "Order #\(self.letters(1))\(self.digits(3))-\(self.digits(5)) shipped on Monday."
            case 1: text = "Your order \(self.digits(3))-\(self.digits(7))-\(self.digits(7)) has been dispatched."
            case 2:
                text =
                    "Upgrade to version \(self.number(1...20)).\(self.number(0...9)).\(self.number(0...30)).\(self.number(0...99)) before Friday."
            case 3:
                text =
                    "Released v\(self.number(1...9)).\(self.number(0...20)).\(self.number(0...50)) with bug fixes; build \(self.number(1000...99999))."
            case 4:
                text =
                    "Logged at \(self.number(2019...2026))-\(String(format2: self.number(1...12)))-\(String(format2: self.number(1...28)))T\(String(format2: self.number(0...23))):\(String(format2: self.number(0...59))):\(String(format2: self.number(0...59)))Z by the job runner."
            case 5:
                text =
                    "The job ran from \(String(format2: self.number(0...23))):\(String(format2: self.number(0...59))):\(String(format2: self.number(0...59))) to \(String(format2: self.number(0...23))):\(String(format2: self.number(0...59)))."
            case 6: text = "Test card \(self.card(valid: false)) was declined (bad checksum)."
            case 7: text = "Transfer to \(self.iban(valid: false)) failed validation."
            case 8:
                let area = self.pick(["000", "666", "9\(self.digits(2))"])
                text = "Reference \(area)-\(self.digits(2))-\(self.digits(4)) is not an SSN."
            case 9:
                text =
                    "Invoice INV-\(self.number(2019...2026))-\(self.digits(5)) totals $\(self.number(1...9)),\(self.digits(3)).\(self.digits(2))."
            case 10:
                var octets: [String] = []
                for _ in 0..<6 { octets.append(String(format2hex: self.number(0...255))) }
                text = "The MAC address is \(octets.joined(separator: ":"))."
            case 11:
                text = "ISBN 978-\(self.digit())-\(self.digits(2))-\(self.digits(6))-\(self.digit()) is out of print."
            case 12:
                text =
                    "Tracking number 1Z\(self.letters(3, from: "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"))\(self.digits(11)) arrives tomorrow."
            case 13:
                text =
                    "We met on \(String(format2: self.number(1...12)))/\(String(format2: self.number(1...28)))/\(self.number(2019...2026)) to plan the launch."
            case 14:
                text = "Pi is \(self.number(3...3)).\(self.digits(8)) and e is 2.\(self.digits(8)); the ratio was 16:9."
            case 15: text = "Commit \(self.letters(40, from: "0123456789abcdef")) fixed ticket \(self.digits(6))."
            case 16:
                text =
                    "Coordinates \(self.number(10...80)).\(self.digits(4)), -\(self.number(10...170)).\(self.digits(4)) mark the site; room \(self.number(100...999))."
            default:
                text =
                    "Python \(self.number(2...3)).\(self.number(0...12)).\(self.number(0...20)) and Chrome \(self.number(100...130)).0.\(self.number(1000...7000)).\(self.number(10...200)) are installed; \(self.number(10...99))% done."
            }
            return Sentence(text: text, expected: nil)
        }
    }
}

extension String {
    init(format2 value: Int) { self = value < 10 ? "0\(value)" : "\(value)" }
    init(format3 value: Int) { self = String(repeating: "0", count: 3 - String(value).count) + String(value) }
    init(format4 value: Int) { self = String(repeating: "0", count: 4 - String(value).count) + String(value) }
    init(format2hex value: Int) {
        let hex = String(value, radix: 16, uppercase: true)
        self = hex.count == 1 ? "0" + hex : hex
    }
}
