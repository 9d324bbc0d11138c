/// Writes JSON text by hand for the few bodies the gateway produces itself (errors, lists,
/// simulated answers), so no encoder runs on the hot path.
public enum JSONWriter {
    /// Appends `value` as a quoted JSON string literal with the required escapes.
    public static func appendString(_ value: String, to output: inout String) {
        output.append("\"")
        var needsEscape = false
        for byte in value.utf8 where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
            needsEscape = true
            break
        }
        guard needsEscape else {
            output.append(value)
            output.append("\"")
            return
        }
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": output.append("\\\"")
            case "\\": output.append("\\\\")
            case "\n": output.append("\\n")
            case "\r": output.append("\\r")
            case "\t": output.append("\\t")
            case let control where control.value < 0x20:
                let hex = String(control.value, radix: 16)
                output.append("\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
            default:
                output.unicodeScalars.append(scalar)
            }
        }
        output.append("\"")
    }

    /// `value` as a quoted JSON string literal.
    public static func quoted(_ value: String) -> String {
        var output = ""
        output.reserveCapacity(value.utf8.count + 2)
        appendString(value, to: &output)
        return output
    }
}
