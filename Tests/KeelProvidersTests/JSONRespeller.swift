import KeelCore

/// Writes a JSON value the ways other servers may write it, all equal to a parser: whitespace
/// wherever JSON allows it (spaces, tabs, CR/LF), object keys in any order, characters of keys and
/// strings written as `\u` escapes (surrogate pairs beyond the BMP) or `\/`, and integers written
/// as `12`, `12.0`, `1.2e1` or `120E-1`. Deterministic for a seed, so a failure can be replayed.
struct JSONRespeller {
    var generator: SplitMix64
    /// Whether a CR may appear between tokens: not in an SSE event, whose data lines a CR would end.
    var carriageReturns: Bool

    init(seed: UInt64, carriageReturns: Bool = true) {
        self.generator = SplitMix64(seed: seed)
        self.carriageReturns = carriageReturns
    }

    mutating func respell(_ value: JSONValue) -> String {
        var output = ""
        self.write(value, into: &output)
        return self.whitespace() + output + self.whitespace()
    }

    private mutating func chance(_ percent: UInt64) -> Bool {
        self.generator.next() % 100 < percent
    }

    private mutating func whitespace() -> String {
        guard self.chance(50) else { return "" }
        let choices = self.carriageReturns ? [" ", "  ", "\t", "\n", "\r\n", " \n\t"] : [" ", "  ", "\t", "\n", " \n\t"]
        return choices[Int(self.generator.next() % UInt64(choices.count))]
    }

    private mutating func write(_ value: JSONValue, into output: inout String) {
        switch value {
        case .object(let members):
            var shuffled = members
            shuffled.shuffle(using: &self.generator)
            output += "{"
            for (offset, member) in shuffled.enumerated() {
                if offset > 0 { output += self.whitespace() + "," }
                output += self.whitespace()
                self.writeString(member.key, into: &output)
                output += self.whitespace() + ":" + self.whitespace()
                self.write(member.value, into: &output)
                output += self.whitespace()
            }
            if shuffled.isEmpty { output += self.whitespace() }
            output += "}"
        case .array(let elements):
            output += "["
            for (offset, element) in elements.enumerated() {
                if offset > 0 { output += "," }
                output += self.whitespace()
                self.write(element, into: &output)
                output += self.whitespace()
            }
            if elements.isEmpty { output += self.whitespace() }
            output += "]"
        case .string(let text):
            self.writeString(text, into: &output)
        case .number(let text):
            output += self.respellNumber(text)
        case .bool(let flag):
            output += flag ? "true" : "false"
        case .null:
            output += "null"
        }
    }

    private mutating func writeString(_ text: String, into output: inout String) {
        output += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case "/" where self.chance(50): output += "\\/"
            case _ where scalar.value < 0x20: output += Self.escape(scalar.value)
            case _ where self.chance(15):
                if scalar.value > 0xFFFF {
                    let value = scalar.value - 0x10000
                    output += Self.escape(0xD800 + (value >> 10)) + Self.escape(0xDC00 + (value & 0x3FF))
                } else {
                    output += Self.escape(scalar.value)
                }
            default: output.unicodeScalars.append(scalar)
            }
        }
        output += "\""
    }

    private static func escape(_ value: UInt32) -> String {
        let hex = String(value, radix: 16)
        return "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
    }

    /// Another spelling of an integer (`12`: `12.0`, `1.2e1`, `120E-1`); other numbers as they are.
    private mutating func respellNumber(_ text: String) -> String {
        guard let value = Int(text), abs(value) < 1_000_000_000_000 else { return text }
        let sign = value < 0 ? "-" : ""
        let digits = String(abs(value))
        switch self.generator.next() % 4 {
        case 0: return text
        case 1: return text + ".0"
        case 2:
            let mantissa = digits.count == 1 ? digits + ".0" : String(digits.prefix(1)) + "." + digits.dropFirst()
            return sign + mantissa + "e" + String(digits.count - 1)
        default:
            return value == 0 ? "0E-1" : sign + digits + "0E-1"
        }
    }
}

/// A JSON value with the spelling taken out, for comparing what two spellings mean: objects'
/// members sorted by key, numbers by their value.
func semanticJSON(_ value: JSONValue) -> JSONValue {
    switch value {
    case .object(let members):
        return .object(members.map { .init(key: $0.key, value: semanticJSON($0.value)) }.sorted { $0.key < $1.key })
    case .array(let elements):
        return .array(elements.map(semanticJSON))
    case .number(let text):
        return .number(Double(text).map { "\($0)" } ?? text)
    default:
        return value
    }
}

/// `text` read as JSON and compared by meaning; text that is not JSON stays as it is.
func semanticJSONText(_ text: String) -> String {
    guard let value = try? JSONValue(parsing: text, maxDepth: 128) else { return text }
    return semanticJSON(value).jsonText
}
