/// How random a candidate credential looks.
enum GuardEntropy {
    /// Shannon entropy in bits per byte.
    static func bitsPerByte(_ bytes: UnsafeBufferPointer<UInt8>) -> Double {
        guard !bytes.isEmpty else { return 0 }
        return withUnsafeTemporaryAllocation(of: UInt16.self, capacity: 256) { counts in
            counts.initialize(repeating: 0)
            for byte in bytes { counts[Int(byte)] &+= 1 }
            let total = Double(bytes.count)
            var entropy = 0.0
            for count in counts where count > 0 {
                let p = Double(count) / total
                entropy -= p * log2(p)
            }
            return entropy
        }
    }

    /// Which classes of character `bytes` hold.
    struct CharacterClasses {
        var upper = false
        var lower = false
        var digit = false
        var symbol = false

        init(_ bytes: UnsafeBufferPointer<UInt8>) {
            for byte in bytes {
                self.upper = self.upper || GuardByte.isUpper(byte)
                self.lower = self.lower || GuardByte.isLower(byte)
                self.digit = self.digit || GuardByte.isDigit(byte)
                self.symbol = self.symbol || !GuardByte.isAlphanumeric(byte)
            }
        }

        var count: Int { (self.upper ? 1 : 0) + (self.lower ? 1 : 0) + (self.digit ? 1 : 0) + (self.symbol ? 1 : 0) }
    }

    /// Whether `bytes` hold an upper-case letter, a lower-case letter and a digit.
    static func hasMixedClasses(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let classes = CharacterClasses(bytes)
        return classes.upper && classes.lower && classes.digit
    }

    /// Whether a value found after a credential key is a real credential: long enough, at
    /// least two character classes, and random enough (a password of 8+ bytes with 2.5 bits per
    /// byte; a token of 16+ bytes with 3 bits per byte), and not a template (`${X}`, `<x>`,
    /// `{{x}}`, all one character).
    static func looksLikeCredential(_ value: UnsafeBufferPointer<UInt8>, password: Bool) -> Bool {
        guard value.count >= (password ? 8 : 16), value.count <= 512 else { return false }
        let first = value[0]
        if first == UInt8(ascii: "$") || first == UInt8(ascii: "<") || first == UInt8(ascii: "{")
            || first == UInt8(ascii: "%")
        {
            return false
        }
        let classes = CharacterClasses(value)
        guard classes.count >= 2, classes.digit || classes.symbol else { return false }
        return Self.bitsPerByte(value) >= (password ? 2.5 : 3.0)
    }
}

private func log2(_ value: Double) -> Double {
    // ln(x) / ln(2) without Foundation: the entropy only needs a few digits.
    var x = value
    var exponent = 0.0
    while x < 1 {
        x *= 2
        exponent -= 1
    }
    while x >= 2 {
        x /= 2
        exponent += 1
    }
    // x in [1, 2): ln(x) by the series of atanh, y = (x - 1) / (x + 1).
    let y = (x - 1) / (x + 1)
    let y2 = y * y
    var term = y
    var sum = 0.0
    var k = 1.0
    for _ in 0..<8 {
        sum += term / k
        term *= y2
        k += 2
    }
    return exponent + 2 * sum / 0.693_147_180_559_945_3
}
