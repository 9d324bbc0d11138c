
/// A reader of JSON that ``JSONScanner`` has already validated: it follows the structure without
/// re-checking the grammar, and stops at the end of the bytes instead of trapping.
struct JSONValueReader {
    let bytes: UnsafeRawBufferPointer
    private var position = 0

    init(bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    mutating func value() -> JSONValue {
        self.skipWhitespace()
        guard self.position < self.bytes.count else { return .null }
        switch self.bytes[self.position] {
        case UInt8(ascii: "{"):
            return self.object()
        case UInt8(ascii: "["):
            return self.array()
        case UInt8(ascii: "\""):
            return .string(self.string())
        case UInt8(ascii: "t"):
            self.position += 4
            return .bool(true)
        case UInt8(ascii: "f"):
            self.position += 5
            return .bool(false)
        case UInt8(ascii: "n"):
            self.position += 4
            return .null
        default:
            return .number(self.number())
        }
    }

    private mutating func object() -> JSONValue {
        self.position += 1
        var members: [JSONValue.Member] = []
        while self.position < self.bytes.count {
            self.skipWhitespace()
            guard self.position < self.bytes.count else { break }
            switch self.bytes[self.position] {
            case UInt8(ascii: "}"):
                self.position += 1
                return .object(members)
            case UInt8(ascii: ","):
                self.position += 1
            default:
                let key = self.string()
                self.skipWhitespace()
                self.position += 1  // the colon
                members.append(JSONValue.Member(key: key, value: self.value()))
            }
        }
        return .object(members)
    }

    private mutating func array() -> JSONValue {
        self.position += 1
        var elements: [JSONValue] = []
        while self.position < self.bytes.count {
            self.skipWhitespace()
            guard self.position < self.bytes.count else { break }
            switch self.bytes[self.position] {
            case UInt8(ascii: "]"):
                self.position += 1
                return .array(elements)
            case UInt8(ascii: ","):
                self.position += 1
            default:
                elements.append(self.value())
            }
        }
        return .array(elements)
    }

    private mutating func string() -> String {
        let start = self.position
        self.position += 1
        while self.position < self.bytes.count {
            switch self.bytes[self.position] {
            case UInt8(ascii: "\""):
                self.position += 1
                return JSONScanner.decodeString(self.bytes, start..<self.position) ?? ""
            case UInt8(ascii: "\\"):
                self.position += 2
            default:
                self.position += 1
            }
        }
        return ""
    }

    private mutating func number() -> String {
        let start = self.position
        while self.position < self.bytes.count {
            switch self.bytes[self.position] {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."),
                UInt8(ascii: "e"), UInt8(ascii: "E"):
                self.position += 1
            default:
                // Never stall on a byte that cannot start a value: that would loop forever.
                if self.position == start { self.position += 1 }
                return String(
                    decoding: UnsafeRawBufferPointer(rebasing: self.bytes[start..<self.position]), as: UTF8.self)
            }
        }
        return String(decoding: UnsafeRawBufferPointer(rebasing: self.bytes[start..<self.position]), as: UTF8.self)
    }

    private mutating func skipWhitespace() {
        while self.position < self.bytes.count {
            switch self.bytes[self.position] {
            case 0x20, 0x09, 0x0A, 0x0D: self.position += 1
            default: return
            }
        }
    }
}
