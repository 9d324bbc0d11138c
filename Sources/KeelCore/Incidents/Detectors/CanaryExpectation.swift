/// What a canary probe's answer must satisfy for the model behind it to be
/// considered healthy: Keel periodically sends a fixed prompt to each model
/// and checks the answer against these expectations, turning "the model
/// started answering in prose instead of JSON" into a concrete incident.
///
/// A value type holding a list of checks; regular expressions are validated
/// when the expectation is created (so a bad pattern fails at configuration
/// time, not during a probe) and compiled again per check, because Swift's
/// `Regex` is not `Sendable`. Memory: the checks' strings.
public struct CanaryExpectation: Sendable, Equatable {
    /// One requirement on the answer.
    public enum Check: Sendable, Equatable {
        /// The answer must contain `text` (optionally ignoring case).
        case contains(String, caseSensitive: Bool = true)
        /// The answer must not contain `text` (optionally ignoring case).
        case notContains(String, caseSensitive: Bool = true)
        /// The answer must contain a match of the regular expression
        /// (Swift `Regex` syntax).
        case matches(String)
        /// The whole answer must be exactly one valid JSON value
        /// (surrounding whitespace allowed).
        case jsonValid
        /// The answer's length in characters (grapheme clusters) and/or
        /// whitespace-separated words must fall in the given ranges.
        case lengthRange(characters: ClosedRange<Int>? = nil, words: ClosedRange<Int>? = nil)
    }

    /// Why an expectation could not be created.
    public enum ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
        /// A `matches` pattern is not a valid regular expression.
        case invalidPattern(pattern: String, reason: String)
        /// A `contains`/`notContains` check has an empty text.
        case emptyText

        /// Human-readable explanation for configuration UIs and logs.
        public var description: String {
            switch self {
            case .invalidPattern(let pattern, let reason):
                "invalid regular expression \"\(pattern)\": \(reason)"
            case .emptyText:
                "contains/notContains text must not be empty"
            }
        }
    }

    /// The checks, evaluated in order.
    public let checks: [Check]

    /// Creates an expectation, validating every regular expression.
    /// - Throws: `ConfigurationError` for an invalid pattern or empty text.
    public init(_ checks: [Check]) throws {
        for check in checks {
            switch check {
            case .contains(let text, _), .notContains(let text, _):
                if text.isEmpty { throw ConfigurationError.emptyText }
            case .matches(let pattern):
                do {
                    _ = try Regex(pattern)
                } catch {
                    throw ConfigurationError.invalidPattern(pattern: pattern, reason: "\(error)")
                }
            case .jsonValid, .lengthRange:
                break
            }
        }
        self.checks = checks
    }

    /// Human-readable reasons why `answer` fails the expectation, one per
    /// failed check, in check order; empty when the answer passes.
    public func failures(in answer: String) -> [String] {
        checks.compactMap { failure(of: $0, in: answer) }
    }

    /// Whether `answer` satisfies every check.
    public func isSatisfied(by answer: String) -> Bool {
        failures(in: answer).isEmpty
    }

    private func failure(of check: Check, in answer: String) -> String? {
        switch check {
        case .contains(let text, let caseSensitive):
            return Self.find(text, in: answer, caseSensitive: caseSensitive)
                ? nil : "answer does not contain \"\(text)\"\(caseSensitive ? "" : " (ignoring case)")"
        case .notContains(let text, let caseSensitive):
            return Self.find(text, in: answer, caseSensitive: caseSensitive)
                ? "answer contains forbidden \"\(text)\"\(caseSensitive ? "" : " (ignoring case)")" : nil
        case .matches(let pattern):
            guard let regex = try? Regex(pattern) else { return "pattern \"\(pattern)\" could not be compiled" }
            return answer.contains(regex) ? nil : "answer does not match /\(pattern)/"
        case .jsonValid:
            do {
                _ = try JSONValue(parsing: answer, maxDepth: 512)
                return nil
            } catch {
                return "answer is not valid JSON: \(error.reason.rawValue) at byte \(error.offset)"
            }
        case .lengthRange(let characters, let words):
            return Self.lengthFailure(answer, characters: characters, words: words)
        }
    }

    private static func find(_ text: String, in answer: String, caseSensitive: Bool) -> Bool {
        caseSensitive ? answer.contains(text) : answer.lowercased().contains(text.lowercased())
    }

    private static func lengthFailure(
        _ answer: String,
        characters: ClosedRange<Int>?,
        words: ClosedRange<Int>?
    ) -> String? {
        var problems: [String] = []
        if let characters {
            let count = answer.count
            if !characters.contains(count) {
                problems.append("\(count) characters, expected \(characters.lowerBound)…\(characters.upperBound)")
            }
        }
        if let words {
            let count = answer.split(whereSeparator: \.isWhitespace).count
            if !words.contains(count) {
                problems.append("\(count) words, expected \(words.lowerBound)…\(words.upperBound)")
            }
        }
        return problems.isEmpty ? nil : "answer length out of range: " + problems.joined(separator: "; ")
    }
}
