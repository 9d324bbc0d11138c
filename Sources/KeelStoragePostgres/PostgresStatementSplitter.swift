/// Splits a migration's SQL into single statements.
///
/// PostgresNIO speaks only PostgreSQL's extended query protocol, which runs one statement per
/// query, while a migration is a script of several. The splitter cuts at each `;` outside string
/// literals (`'…'`, `E'…'`), quoted identifiers (`"…"`), dollar-quoted bodies (`$tag$…$tag$`)
/// and comments (`-- …`, nested `/* … */`), and drops pieces that hold only whitespace and
/// comments.
enum PostgresStatementSplitter {
    static func statements(in sql: String) -> [String] {
        let bytes = Array(sql.utf8)
        var statements: [String] = []
        var start = 0
        var index = 0
        var hasCode = false

        func flush(upTo end: Int) {
            if hasCode {
                let text = String(decoding: bytes[start..<end], as: UTF8.self)
                statements.append(text.trimmingWhitespace())
            }
            hasCode = false
        }

        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "-") where index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "-"):
                while index < bytes.count && bytes[index] != UInt8(ascii: "\n") { index += 1 }
            case UInt8(ascii: "/") where index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "*"):
                var depth = 0
                while index < bytes.count {
                    if bytes[index] == UInt8(ascii: "/"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "*") {
                        depth += 1
                        index += 2
                    } else if bytes[index] == UInt8(ascii: "*"), index + 1 < bytes.count,
                        bytes[index + 1] == UInt8(ascii: "/")
                    {
                        depth -= 1
                        index += 2
                        if depth == 0 { break }
                    } else {
                        index += 1
                    }
                }
            case UInt8(ascii: "'"), UInt8(ascii: "\""):
                hasCode = true
                // A doubled quote inside is an escaped quote; a backslash escapes in E'…' strings.
                let escapesWithBackslash =
                    byte == UInt8(ascii: "'") && index > 0 && (bytes[index - 1] | 0x20) == UInt8(ascii: "e")
                index += 1
                while index < bytes.count {
                    if escapesWithBackslash && bytes[index] == UInt8(ascii: "\\") {
                        index += 2
                    } else if bytes[index] == byte {
                        if index + 1 < bytes.count && bytes[index + 1] == byte {
                            index += 2
                        } else {
                            break
                        }
                    } else {
                        index += 1
                    }
                }
                index += 1
            case UInt8(ascii: "$"):
                hasCode = true
                if let tagEnd = Self.dollarTagEnd(bytes, from: index) {
                    let tag = bytes[index...tagEnd]
                    index = tagEnd + 1
                    while index < bytes.count && !bytes[index...].starts(with: tag) { index += 1 }
                    index = min(index + tag.count, bytes.count)
                } else {
                    index += 1
                }
            case UInt8(ascii: ";"):
                flush(upTo: index)
                index += 1
                start = index
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                index += 1
            default:
                hasCode = true
                index += 1
            }
        }
        flush(upTo: bytes.count)
        return statements
    }

    /// The index of the closing `$` of a dollar-quote tag opening at `start` (`$$` or `$name$`),
    /// or `nil` when the `$` there is something else (a parameter like `$1`).
    private static func dollarTagEnd(_ bytes: [UInt8], from start: Int) -> Int? {
        var index = start + 1
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "$") { return index }
            let isLetter = (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z")
            let isDigit = byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
            guard isLetter || byte == UInt8(ascii: "_") || byte >= 0x80 || (isDigit && index > start + 1) else {
                return nil
            }
            index += 1
        }
        return nil
    }
}

extension String {
    fileprivate func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = self.firstIndex(where: { !isSpace($0) }), let last = self.lastIndex(where: { !isSpace($0) })
        else { return "" }
        return String(self[first...last])
    }
}
