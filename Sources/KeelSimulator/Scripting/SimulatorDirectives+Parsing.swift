extension SimulatorDirectives {
    /// Why a directive text was refused; the message names the offending pair.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        /// A sentence naming the key or value that is wrong.
        public let message: String

        /// Creates an error with `message`.
        public init(message: String) {
            self.message = message
        }

        /// The message.
        public var description: String { self.message }
    }

    /// Parses whitespace-separated `key=value` pairs, such as `"status=503 retry_after=1"`.
    ///
    /// Keys are listed on ``SimulatorDirectives``; `tokens_per_second` is accepted for `tps`. A
    /// later pair overrides an earlier one with the same key. Empty text gives empty directives.
    ///
    /// - Throws: ``ParseError`` for an unknown key, a pair without `=`, a negative or non-numeric
    ///   count, a status outside 400…599, or an unknown `fault` or `at` value.
    public init(parsing text: some StringProtocol) throws(ParseError) {
        self.init()
        for pair in text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "," }) {
            guard let equals = pair.firstIndex(of: "=") else {
                throw ParseError(message: "Simulator directive '\(pair)' is not of the form key=value.")
            }
            let key = String(pair[..<equals])
            let value = String(pair[pair.index(after: equals)...])
            try self.apply(key: key, value: value)
        }
    }

    private mutating func apply(key: String, value: String) throws(ParseError) {
        switch key {
        case "status":
            let status = try Self.count(value, key: key)
            guard (400...599).contains(status) else {
                throw ParseError(message: "Simulator directive 'status' must be between 400 and 599, not \(value).")
            }
            self.status = status
        case "retry_after": self.retryAfter = try Self.count(value, key: key)
        case "error_type":
            guard !value.isEmpty, value.utf8.count <= 64, value.utf8.allSatisfy(Self.isNameByte) else {
                throw ParseError(
                    message:
                        "Simulator directive 'error_type' must be 1 to 64 letters, digits, '_', '-' or '.', not '\(value)'."
                )
            }
            self.errorType = value
        case "latency_ms": self.latencyMs = try Self.count(value, key: key)
        case "ttft_ms": self.ttftMs = try Self.count(value, key: key)
        case "tps", "tokens_per_second": self.tokensPerSecond = try Self.count(value, key: key)
        case "tokens": self.tokens = try Self.count(value, key: key)
        case "cached": self.cached = try Self.count(value, key: key)
        case "cache_write": self.cacheWrite = try Self.count(value, key: key)
        case "cache_write_1h": self.cacheWrite1h = try Self.count(value, key: key)
        case "reasoning": self.reasoning = try Self.count(value, key: key)
        case "after_tokens": self.afterTokens = try Self.count(value, key: key)
        case "stall_ms": self.stallMs = try Self.count(value, key: key)
        case "fault":
            guard let fault = Fault(rawValue: value) else {
                throw ParseError(
                    message:
                        "Simulator directive 'fault' must be truncate, stall, malformed, drop or error, not '\(value)'."
                )
            }
            self.fault = fault
        case "at":
            guard let point = StallPoint(rawValue: value) else {
                throw ParseError(
                    message: "Simulator directive 'at' must be headers, first_token or mid_stream, not '\(value)'."
                )
            }
            self.stallAt = point
        case "json":
            guard let style = JSONStyle(rawValue: value) else {
                throw ParseError(message: "Simulator directive 'json' must be compact or spaced, not '\(value)'.")
            }
            self.jsonStyle = style
        case "leak":
            guard let leak = Leak(rawValue: value) else {
                throw ParseError(
                    message: "Simulator directive 'leak' must be email, aws_key or system_prompt, not '\(value)'."
                )
            }
            self.leak = leak
        case "version":
            guard !value.isEmpty, value.utf8.count <= 128, value.utf8.allSatisfy(Self.isNameByte) else {
                throw ParseError(
                    message:
                        "Simulator directive 'version' must be 1 to 128 letters, digits, '_', '-' or '.', not '\(value)'."
                )
            }
            self.version = value
        default:
            throw ParseError(message: "Unknown simulator directive '\(key)'.")
        }
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "."):
            true
        default:
            false
        }
    }

    private static func count(_ value: String, key: String) throws(ParseError) -> Int {
        // Bounded so that a typo cannot make a test wait for days or allocate a huge answer.
        guard let count = Int(value), (0...10_000_000).contains(count) else {
            throw ParseError(
                message: "Simulator directive '\(key)' needs a whole number from 0 to 10000000, not '\(value)'."
            )
        }
        return count
    }

    /// Finds an in-content directive `[sim key=value …]` in `text` and parses it.
    ///
    /// Returns `nil` when `text` has no `[sim` marker. Only the first marker counts.
    static func embedded(in text: String) throws(ParseError) -> SimulatorDirectives? {
        let utf8 = text.utf8
        let marker = "[sim".utf8
        var searchFrom = utf8.startIndex
        while let open = utf8[searchFrom...].firstIndex(of: UInt8(ascii: "[")) {
            searchFrom = utf8.index(after: open)
            guard utf8[open...].starts(with: marker) else { continue }
            let bodyStart = utf8.index(open, offsetBy: marker.count)
            // "[simulate" and the like are ordinary text, not a directive.
            if bodyStart < utf8.endIndex, utf8[bodyStart] != UInt8(ascii: " "), utf8[bodyStart] != UInt8(ascii: "]") {
                continue
            }
            guard let close = utf8[bodyStart...].firstIndex(of: UInt8(ascii: "]")) else {
                throw ParseError(message: "Simulator directive '[sim …' has no closing ']'.")
            }
            return try SimulatorDirectives(parsing: text[bodyStart..<close])
        }
        return nil
    }
}

extension SimulatorDirectives: CustomStringConvertible {
    /// The directives in the text form that ``init(parsing:)`` reads back; empty when none is set.
    public var description: String {
        var pairs: [String] = []
        func add(_ key: String, _ value: (some CustomStringConvertible)?) {
            if let value { pairs.append("\(key)=\(value)") }
        }
        add("status", self.status)
        add("retry_after", self.retryAfter)
        add("error_type", self.errorType)
        add("latency_ms", self.latencyMs)
        add("ttft_ms", self.ttftMs)
        add("tps", self.tokensPerSecond)
        add("tokens", self.tokens)
        add("cached", self.cached)
        add("cache_write", self.cacheWrite)
        add("cache_write_1h", self.cacheWrite1h)
        add("reasoning", self.reasoning)
        add("fault", self.fault?.rawValue)
        add("after_tokens", self.afterTokens)
        add("stall_ms", self.stallMs)
        add("at", self.stallAt?.rawValue)
        add("json", self.jsonStyle?.rawValue)
        return pairs.joined(separator: " ")
    }
}
