extension CanonicalJSON {
    /// `value` written as ECMAScript's `Number.prototype.toString` does (ECMA-262 §6.1.6.1.20),
    /// which RFC 8785 §3.2.2.3 adopts: the shortest digits that read back as `value` (the closest
    /// such when several are as short), in plain notation from 1e-6 up to below 1e21 and in
    /// exponent notation outside. `-0` is `0`.
    ///
    /// Throws for NaN and the infinities, which JSON cannot hold.
    public static func numberText(_ value: Double) throws(CanonicalJSONError) -> String {
        guard value.isFinite else { throw .invalidNumber(String(value)) }
        if value == 0 { return "0" }
        // Swift's `description` gives the shortest round-tripping digits, and the closest among
        // them, like V8 and Ryu; only the layout differs from ECMAScript's.
        let (digits, exponent) = Self.shortestDigits(value.magnitude)
        let sign = value < 0 ? "-" : ""
        let count = digits.count
        let text: String
        if count <= exponent && exponent <= 21 {
            text = String(decoding: digits, as: UTF8.self) + String(repeating: "0", count: exponent - count)
        } else if 0 < exponent && exponent <= 21 {
            text =
                String(decoding: digits[..<exponent], as: UTF8.self) + "."
                + String(decoding: digits[exponent...], as: UTF8.self)
        } else if -6 < exponent && exponent <= 0 {
            text = "0." + String(repeating: "0", count: -exponent) + String(decoding: digits, as: UTF8.self)
        } else {
            let power = exponent - 1
            let mantissa =
                count == 1
                ? String(decoding: digits, as: UTF8.self)
                : String(decoding: digits[..<1], as: UTF8.self) + "." + String(decoding: digits[1...], as: UTF8.self)
            text = mantissa + "e" + (power < 0 ? "-" : "+") + String(power.magnitude)
        }
        return sign + text
    }

    /// The shortest decimal digits `s` (no leading or trailing zeros) and the exponent `n` with
    /// `value = 0.s × 10^n`, for a positive finite `value`.
    static func shortestDigits(_ value: Double) -> (digits: [UInt8], exponent: Int) {
        let text = Array(value.description.utf8)
        let exponentMark = text.firstIndex(of: UInt8(ascii: "e")) ?? text.endIndex
        let mantissa = text[..<exponentMark]
        var power = 0
        if exponentMark < text.endIndex {
            // "e+308" or "e-07": `Int` reads the sign and the leading zero.
            power = Int(String(decoding: text[(exponentMark + 1)...], as: UTF8.self))!
        }
        let point = mantissa.firstIndex(of: UInt8(ascii: ".")) ?? mantissa.endIndex
        var digits = Array(mantissa.filter { $0 != UInt8(ascii: ".") })
        var exponent = (point - mantissa.startIndex) + power
        let leadingZeros = digits.prefix { $0 == UInt8(ascii: "0") }.count
        digits.removeFirst(leadingZeros)
        exponent -= leadingZeros
        while digits.last == UInt8(ascii: "0") { digits.removeLast() }
        return (digits, exponent)
    }
}
