extension JSONScanner {
    /// The recursive-descent validator behind ``JSONScanner``. Reads bytes in place; records only
    /// top-level member spans.
    struct Cursor {
        let bytes: UnsafeRawBufferPointer
        let maxDepth: Int
        var position = 0

        init(bytes: UnsafeRawBufferPointer, maxDepth: Int) {
            self.bytes = bytes
            self.maxDepth = maxDepth
        }

        mutating func skipWhitespace() {
            while self.position < self.bytes.count {
                switch self.bytes[self.position] {
                case 0x20, 0x09, 0x0A, 0x0D: self.position += 1
                default: return
                }
            }
        }

        private func fail(_ reason: SyntaxError.Reason) -> SyntaxError {
            SyntaxError(reason: reason, offset: self.position)
        }

        mutating func value(depth: Int) throws(SyntaxError) -> Kind {
            guard self.position < self.bytes.count else { throw self.fail(.unexpectedEnd) }
            switch self.bytes[self.position] {
            case UInt8(ascii: "{"):
                var ignored: [Member] = []
                try self.object(depth: depth, members: &ignored, record: false)
                return .object
            case UInt8(ascii: "["):
                try self.array(depth: depth)
                return .array
            case UInt8(ascii: "\""):
                try self.string()
                return .string
            case UInt8(ascii: "t"):
                try self.literal("true")
                return .bool
            case UInt8(ascii: "f"):
                try self.literal("false")
                return .bool
            case UInt8(ascii: "n"):
                try self.literal("null")
                return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                try self.number()
                return .number
            default:
                throw self.fail(.unexpectedCharacter)
            }
        }

        mutating func object(depth: Int, members: inout [Member], record: Bool = true) throws(SyntaxError) {
            guard depth < self.maxDepth else { throw self.fail(.tooDeep) }
            self.position += 1  // {
            self.skipWhitespace()
            guard self.position < self.bytes.count else { throw self.fail(.unexpectedEnd) }
            if self.bytes[self.position] == UInt8(ascii: "}") {
                self.position += 1
                return
            }
            while true {
                self.skipWhitespace()
                guard self.position < self.bytes.count else { throw self.fail(.unexpectedEnd) }
                guard self.bytes[self.position] == UInt8(ascii: "\"") else { throw self.fail(.unexpectedCharacter) }
                let keyStart = self.position
                try self.string()
                let keyRange = keyStart..<self.position
                self.skipWhitespace()
                guard self.position < self.bytes.count else { throw self.fail(.unexpectedEnd) }
                guard self.bytes[self.position] == UInt8(ascii: ":") else { throw self.fail(.unexpectedCharacter) }
                self.position += 1
                self.skipWhitespace()
                let valueStart = self.position
                let kind = try self.value(depth: depth + 1)
                if record {
                    let key = JSONScanner.decodeString(self.bytes, keyRange) ?? ""
                    members.append(Member(key: key, range: valueStart..<self.position, kind: kind))
                }
                self.skipWhitespace()
                guard self.position < self.bytes.count else { throw self.fail(.unexpectedEnd) }
                switch self.bytes[self.position] {
                case UInt8(ascii: ","):
                    self.position += 1
                case UInt8(ascii: "}"):
                    self.position += 1
                    return
                default:
                    throw self.fail(.unexpectedCharacter)
                }
            }
        }

        mutating func array(depth: Int) throws(SyntaxError) {
            guard depth < self.maxDepth else { throw self.fail(.tooDeep) }
            self.position += 1  // [
            self.skipWhitespace()
            guard self.position < self.bytes.count else { throw self.fail(.unexpectedEnd) }
            if self.bytes[self.position] == UInt8(ascii: "]") {
                self.position += 1
                return
            }
            while true {
                self.skipWhitespace()
                _ = try self.value(depth: depth + 1)
                self.skipWhitespace()
                guard self.position < self.bytes.count else { throw self.fail(.unexpectedEnd) }
                switch self.bytes[self.position] {
                case UInt8(ascii: ","):
                    self.position += 1
                case UInt8(ascii: "]"):
                    self.position += 1
                    return
                default:
                    throw self.fail(.unexpectedCharacter)
                }
            }
        }

        mutating func string() throws(SyntaxError) {
            self.position += 1  // opening quote
            while self.position < self.bytes.count {
                self.skipPlainBytes()
                guard self.position < self.bytes.count else { break }
                let byte = self.bytes[self.position]
                switch byte {
                case UInt8(ascii: "\""):
                    self.position += 1
                    return
                case UInt8(ascii: "\\"):
                    self.position += 1
                    guard self.position < self.bytes.count else { throw self.fail(.unexpectedEnd) }
                    switch self.bytes[self.position] {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                        UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                        self.position += 1
                    case UInt8(ascii: "u"):
                        guard self.position + 4 < self.bytes.count else { throw self.fail(.unexpectedEnd) }
                        for offset in 1...4 where JSONScanner.hexValue(self.bytes[self.position + offset]) == nil {
                            throw self.fail(.invalidString)
                        }
                        self.position += 5
                    default:
                        throw self.fail(.invalidString)
                    }
                case 0x00..<0x20:
                    throw self.fail(.invalidString)
                default:
                    self.position += 1
                }
            }
            throw self.fail(.unexpectedEnd)
        }

        /// Steps over string bytes that need no look (not `"`, `\`, or a control character),
        /// eight at a time: prompts are long runs of them.
        private mutating func skipPlainBytes() {
            let ones: UInt64 = 0x0101_0101_0101_0101
            let highs: UInt64 = 0x8080_8080_8080_8080
            while self.position + 8 <= self.bytes.count {
                let word = UInt64(littleEndian: self.bytes.loadUnaligned(fromByteOffset: self.position, as: UInt64.self))
                let quote = word ^ 0x2222_2222_2222_2222
                let backslash = word ^ 0x5C5C_5C5C_5C5C_5C5C
                // A zero byte in `quote` or `backslash`, or a byte under 0x20 in `word`, sets its
                // high bit here (the classic "has zero byte" / "has byte less than" tests).
                let special = ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash) | ((word &- 0x2020_2020_2020_2020) & ~word)
                if special & highs != 0 { return }
                self.position += 8
            }
        }

        private mutating func literal(_ word: StaticString) throws(SyntaxError) {
            let count = word.utf8CodeUnitCount
            guard self.position + count <= self.bytes.count else { throw self.fail(.unexpectedEnd) }
            let pointer = word.utf8Start
            for offset in 0..<count where self.bytes[self.position + offset] != pointer[offset] {
                throw self.fail(.unexpectedCharacter)
            }
            self.position += count
        }

        private mutating func number() throws(SyntaxError) {
            if self.bytes[self.position] == UInt8(ascii: "-") { self.position += 1 }
            guard self.position < self.bytes.count else { throw self.fail(.unexpectedEnd) }
            if self.bytes[self.position] == UInt8(ascii: "0") {
                self.position += 1
            } else {
                guard self.digits() > 0 else { throw self.fail(.invalidNumber) }
            }
            if self.position < self.bytes.count, self.bytes[self.position] == UInt8(ascii: ".") {
                self.position += 1
                guard self.digits() > 0 else { throw self.fail(.invalidNumber) }
            }
            if self.position < self.bytes.count,
                self.bytes[self.position] == UInt8(ascii: "e") || self.bytes[self.position] == UInt8(ascii: "E")
            {
                self.position += 1
                if self.position < self.bytes.count,
                    self.bytes[self.position] == UInt8(ascii: "+") || self.bytes[self.position] == UInt8(ascii: "-")
                {
                    self.position += 1
                }
                guard self.digits() > 0 else { throw self.fail(.invalidNumber) }
            }
        }

        private mutating func digits() -> Int {
            let start = self.position
            while self.position < self.bytes.count,
                (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self.bytes[self.position])
            {
                self.position += 1
            }
            return self.position - start
        }
    }
}
