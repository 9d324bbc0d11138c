import Testing

@testable import KeelCore

/// Canary answer checks: each check kind passes and fails where it should,
/// with readable reasons.
@Suite("Canary expectations")
struct CanaryExpectationTests {
    @Test("contains respects case sensitivity")
    func contains() throws {
        let strict = try CanaryExpectation([.contains("Paris")])
        #expect(strict.failures(in: "The capital is Paris.").isEmpty)
        #expect(strict.failures(in: "the capital is paris.") == ["answer does not contain \"Paris\""])
        let relaxed = try CanaryExpectation([.contains("PARIS", caseSensitive: false)])
        #expect(relaxed.isSatisfied(by: "the capital is paris."))
        #expect(!relaxed.isSatisfied(by: "the capital is Lyon."))
    }

    @Test("notContains reports forbidden text")
    func notContains() throws {
        let expectation = try CanaryExpectation([.notContains("as an AI", caseSensitive: false)])
        #expect(expectation.isSatisfied(by: "42"))
        #expect(
            expectation.failures(in: "As an AI model, I cannot") == [
                "answer contains forbidden \"as an AI\" (ignoring case)"
            ]
        )
    }

    @Test("matches uses Swift Regex and rejects invalid patterns at creation")
    func matches() throws {
        let expectation = try CanaryExpectation([.matches(#"^\d{3}-\d{4}$"#)])
        #expect(expectation.isSatisfied(by: "555-1234"))
        #expect(expectation.failures(in: "call 555-1234 now") == [#"answer does not match /^\d{3}-\d{4}$/"#])
        #expect(throws: CanaryExpectation.ConfigurationError.self) {
            try CanaryExpectation([.matches("(unclosed")])
        }
        do {
            _ = try CanaryExpectation([.matches("[z-a]")])
            Issue.record("invalid range accepted")
        } catch let error as CanaryExpectation.ConfigurationError {
            #expect(error.description.hasPrefix("invalid regular expression \"[z-a]\""))
        }
        #expect(throws: CanaryExpectation.ConfigurationError.emptyText) {
            try CanaryExpectation([.contains("")])
        }
    }

    @Test("jsonValid accepts nested JSON and rejects trailing garbage")
    func jsonValid() throws {
        let expectation = try CanaryExpectation([.jsonValid])
        #expect(
            expectation.isSatisfied(
                by: #"  {"a": [1, -2.5e+3, {"b": null}], "c": "\u00e9\n", "d": [true, false, []]}  "#
            )
        )
        #expect(expectation.isSatisfied(by: #"{"emoji": "🚀 naïve 日本"}"#))
        let failures = expectation.failures(in: #"{"a": 1} trailing"#)
        #expect(failures == ["answer is not valid JSON: data after the JSON value at byte 9"])
        #expect(!expectation.isSatisfied(by: "Sure! Here is the JSON: {}"))
    }

    @Test("lengthRange checks characters and words, counting graphemes")
    func lengthRange() throws {
        let expectation = try CanaryExpectation([.lengthRange(characters: 1...10, words: 2...3)])
        #expect(expectation.isSatisfied(by: "héllo 👩‍👩‍👧"))  // 7 characters, 2 words
        #expect(expectation.failures(in: "one") == ["answer length out of range: 1 words, expected 2…3"])
        #expect(
            expectation.failures(in: "this answer is far too long") == [
                "answer length out of range: 27 characters, expected 1…10; 6 words, expected 2…3"
            ]
        )
    }

    @Test("failures lists every failed check in order")
    func multipleFailures() throws {
        let expectation = try CanaryExpectation([.contains("ok"), .jsonValid, .lengthRange(words: 1...1)])
        let failures = expectation.failures(in: "not fine at all")
        #expect(failures.count == 3)
        #expect(failures[0].contains("does not contain \"ok\""))
        #expect(failures[1].hasPrefix("answer is not valid JSON"))
        #expect(failures[2].contains("4 words"))
        #expect(expectation.isSatisfied(by: #""ok""#))
    }
}
