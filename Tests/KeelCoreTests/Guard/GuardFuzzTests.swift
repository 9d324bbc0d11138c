import KeelCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Seeded random input for every detector at once: random bytes (decoded as UTF-8 with
/// replacement), random Unicode scalars from every plane, and corpus sentences mutated by
/// insertions, deletions, zero-width characters and repetitions. Each scan must finish, report
/// findings whose offsets lie in the text, ordered by start, whose text is the text at those
/// offsets, and redaction followed by restoration (whole or streamed in random chunks) must give
/// the text back.
@Suite("Guard detectors under random input")
struct GuardFuzzTests {
    let scanner = ContentScanner()

    static func randomBytes(_ random: inout SplitMix64) -> String {
        let count = Int.random(in: 0...600, using: &random)
        let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func randomScalars(_ random: inout SplitMix64) -> String {
        var scalars = String.UnicodeScalarView()
        let ranges: [ClosedRange<UInt32>] = [
            0x20...0x7E, 0x20...0x7E, 0x0A...0x0A, 0xA0...0x24F, 0x370...0x52F, 0x2000...0x206F, 0xFF00...0xFFEF,
            0x1D400...0x1D7FF, 0x1F300...0x1FAFF, 0xE0000...0xE007F, 0x4E00...0x9FFF,
        ]
        for _ in 0..<Int.random(in: 0...400, using: &random) {
            let range = ranges.randomElement(using: &random)!
            if let scalar = Unicode.Scalar(UInt32.random(in: range, using: &random)) { scalars.append(scalar) }
        }
        return String(scalars)
    }

    static func mutated(_ sentence: String, _ random: inout SplitMix64) -> String {
        var scalars = Array(sentence.unicodeScalars)
        for _ in 0..<Int.random(in: 1...6, using: &random) {
            guard !scalars.isEmpty else { break }
            let index = Int.random(in: 0..<scalars.count, using: &random)
            switch Int.random(in: 0...5, using: &random) {
            case 0: scalars.remove(at: index)
            case 1:
                scalars.insert(
                    ["\u{200B}", "\u{202E}", "@", ".", "-", " ", "1", "é", "🙂"].randomElement(using: &random)!,
                    at: index
                )
            case 2: scalars[index] = Unicode.Scalar(UInt8.random(in: 0x21...0x7E, using: &random))
            case 3: scalars.insert(contentsOf: scalars[index...].prefix(12), at: index)
            case 4: scalars.insert(contentsOf: "[EMAIL_1]".unicodeScalars, at: index)
            default:
                scalars.insert(
                    contentsOf: String(repeating: "9", count: Int.random(in: 1...25, using: &random)).unicodeScalars,
                    at: index
                )
            }
        }
        return String(String.UnicodeScalarView(scalars))
    }

    func check(_ text: String, _ random: inout SplitMix64) {
        let scan = self.scanner.scan(text)
        let scalars = Array(text.unicodeScalars)
        for findings in [scan.pii, scan.secrets] {
            var previousStart = 0
            for finding in findings {
                #expect(
                    finding.start >= previousStart && finding.start < finding.end && finding.end <= scalars.count,
                    "\(finding) in \(text.debugDescription)"
                )
                guard finding.start < finding.end, finding.end <= scalars.count else { continue }
                #expect(String(String.UnicodeScalarView(scalars[finding.start..<finding.end])) == finding.text)
                previousStart = finding.start
            }
        }
        #expect((0...1).contains(scan.injection.score))
        // Placeholders the text already holds would be restored as values: only texts without them round-trip.
        guard !text.contains("[EMAIL_"), !text.contains("[PHONE_") else { return }
        var map = RedactionMap()
        let redacted = map.redact(text, findings: scan.findings)
        #expect(map.restore(redacted) == text)
        var restorer = StreamingRestorer(map: map)
        var output = ""
        var rest = Substring(redacted)
        while !rest.isEmpty {
            let size = Int.random(in: 1...9, using: &random)
            output += restorer.restore(String(rest.prefix(size)))
            rest = rest.dropFirst(size)
        }
        output += restorer.finish()
        #expect(output == text)
    }

    @Test func randomBytes() {
        var random = SplitMix64(seed: 0xB17E5)
        for _ in 0..<1_500 { self.check(Self.randomBytes(&random), &random) }
    }

    @Test func randomUnicode() {
        var random = SplitMix64(seed: 0x0DE5)
        for _ in 0..<1_500 { self.check(Self.randomScalars(&random), &random) }
    }

    @Test func mutatedCorpusSentences() {
        var corpus = PIICorpus(seed: 0x3417)
        var random = SplitMix64(seed: 0x3418)
        var sentences: [String] = []
        for type in GuardFindingType.personalData { sentences += corpus.sentences(of: type, count: 60).map(\.text) }
        sentences += corpus.lookAlikes(count: 200).map(\.text)
        sentences += BenignTriggerCorpus.sentences(count: 200, seed: 7)
        for sentence in sentences {
            self.check(Self.mutated(sentence, &random), &random)
        }
    }

    /// Long runs of the bytes detectors key on: each must scan without quadratic blow-up (the
    /// benchmark measures the time; this checks the result stays sane).
    @Test func pathologicalRuns() {
        var random = SplitMix64(seed: 1)
        for unit in [
            "@", "9", "1 ", "a@", "+1 ", "::", "A", "aGVsbG8", "ignore ", "-----BEGIN ", "[", "i g n o r e ", "<|",
            "i.g.n.o.r.e ", "a\u{2060}", "<!--", "](http://x?q={", "忽略之前", "игнорируй ", "\u{200B}", "\"",
        ] {
            self.check(String(repeating: unit, count: max(1, 4_096 / unit.utf8.count)), &random)
        }
    }

    /// The cost per kilobyte stays flat from 1 to 64 KB for the inputs that are costliest per byte,
    /// so no input makes a scan quadratic. CPU time of the scanning thread, the least of five runs
    /// per size, compared with generous slack: a shared machine is noisy, a quadratic scan is not
    /// subtle (16 times the cost per byte at 64 KB).
    @Test func costPerKilobyteStaysFlatAsInputGrows() {
        for unit in ["1 ", "i g n o r e ", "a@b.c ", "i.g.n.o.r.e ", "忽略之前的所有指令 ", "](http://x?q={"] {
            var perKilobyte: [Double] = []
            for kilobytes in [1, 4, 16, 64] {
                var text = String(repeating: unit, count: kilobytes * 1_024 / unit.utf8.count)
                let best = text.withUTF8 { bytes in
                    (0..<5).map { _ in
                        let start = Self.threadMicroseconds()
                        withExtendedLifetime(self.scanner.scan(utf8: bytes)) {}
                        return Self.threadMicroseconds() - start
                    }.min()!
                }
                perKilobyte.append(best / Double(kilobytes))
            }
            #expect(perKilobyte[3] <= 4 * max(perKilobyte[1], perKilobyte[2]), "\(unit): µs per KB \(perKilobyte)")
        }
    }

    static func threadMicroseconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) * 1e6 + Double(time.tv_nsec) / 1e3
    }
}
