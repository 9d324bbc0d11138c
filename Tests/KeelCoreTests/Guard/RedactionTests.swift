import KeelCore
import Testing

@Suite("Redaction and restoration")
struct RedactionTests {
    let scanner = ContentScanner()

    @Test func theSameValueGetsTheSamePlaceholderAcrossMessages() {
        var map = RedactionMap()
        let system = "Escalate to ann@example.com when unsure."
        let user = "I am ann@example.com, my colleague is bob@example.org; call (415) 555-2671."
        let redactedSystem = map.redact(system, findings: self.scanner.scan(system).findings)
        let redactedUser = map.redact(user, findings: self.scanner.scan(user).findings)
        #expect(redactedSystem == "Escalate to [EMAIL_1] when unsure.")
        #expect(redactedUser == "I am [EMAIL_1], my colleague is [EMAIL_2]; call [PHONE_1].")
        #expect(map.count == 3)
        #expect(map.value(for: "[EMAIL_2]") == "bob@example.org")
    }

    @Test func offsetsAreUnicodeScalarsSoAccentsAndEmojiStayIntact() {
        var map = RedactionMap()
        let text = "Olá 👋🏽 — écrivez à zoë@exämple.com or maria@example.com, merci ✨"
        let findings = self.scanner.scan(text).findings
        #expect(findings.map(\.text) == ["zoë@exämple.com", "maria@example.com"])
        #expect(findings.first?.start == 19)
        let redacted = map.redact(text, findings: findings)
        #expect(redacted == "Olá 👋🏽 — écrivez à [EMAIL_1] or [EMAIL_2], merci ✨")
        #expect(map.restore(redacted) == text)
    }

    @Test func overlappingFindingsKeepTheOuterOne() {
        var map = RedactionMap()
        let text = "see https://example.com/?token=abc and more"
        let outer = GuardFinding(type: .url, start: 4, end: 34, text: "https://example.com/?token=abc")
        let inner = GuardFinding(type: .contextualSecret, start: 31, end: 34, text: "abc")
        #expect(map.redact(text, findings: [inner, outer]) == "see [URL_1] and more")
    }

    @Test func restoringLeavesUnknownBracketsAlone() {
        var map = RedactionMap()
        _ = map.redact("ann@example.com", findings: self.scanner.scan("ann@example.com").findings)
        #expect(
            map.restore("Mail [EMAIL_1], not [EMAIL_2] or [link] [EMAIL_1")
                == "Mail ann@example.com, not [EMAIL_2] or [link] [EMAIL_1"
        )
    }

    /// Feeds the answer in every possible split into two chunks, and in chunks of 1 to 12 bytes: the
    /// concatenated output is the restored answer, what is emitted is always a prefix of it (so no
    /// part of a placeholder ever goes out), and the restorer never holds more than one
    /// placeholder's bytes.
    @Test func theStreamingRestorerNeverEmitsPartOfAPlaceholder() {
        var map = RedactionMap()
        let prompt = "Write to ann@example.com and call +44 20 7946 0958 about card 4111 1111 1111 1111."
        _ = map.redact(prompt, findings: self.scanner.scan(prompt).findings)
        let answer = "Sure: [EMAIL_1] ([PHONE_1]), [PAYMENT_CARD_1]. [[EMAIL_1]] [x] [EMAIL_9] end ["
        let expected = map.restore(answer)
        #expect(
            expected
                == "Sure: ann@example.com (+44 20 7946 0958), 4111 1111 1111 1111. [ann@example.com] [x] [EMAIL_9] end ["
        )
        let bytes = Array(answer.utf8)
        var chunkings: [[Int]] = (1..<bytes.count).map { [$0, bytes.count - $0] }
        for size in 1...12 {
            chunkings.append(Array(repeating: size, count: bytes.count / size) + [bytes.count % size])
        }
        for sizes in chunkings {
            var restorer = StreamingRestorer(map: map)
            var output = ""
            var offset = 0
            for size in sizes where size > 0 {
                let chunk = String(decoding: bytes[offset..<(offset + size)], as: UTF8.self)
                offset += size
                let emitted = restorer.restore(chunk)
                output += emitted
                #expect(restorer.heldBytes <= map.longestPlaceholder)
                // Part of a placeholder, once emitted, could never be replaced: what is out is always
                // a prefix of the restored answer.
                #expect(expected.hasPrefix(output), "chunks \(sizes) emitted \(output)")
            }
            output += restorer.finish()
            #expect(output == expected, "chunks \(sizes)")
        }
    }

    @Test func textWithoutPlaceholdersPassesThroughAtOnce() {
        var map = RedactionMap()
        _ = map.redact("ann@example.com", findings: self.scanner.scan("ann@example.com").findings)
        var restorer = StreamingRestorer(map: map)
        #expect(restorer.restore("Hello there, ") == "Hello there, ")
        #expect(restorer.restore("[see] the [EM") == "[see] the ")
        #expect(restorer.heldBytes == 3)
        #expect(restorer.restore("AIL_1] ok") == "ann@example.com ok")
        #expect(restorer.finish() == "")
    }
}
