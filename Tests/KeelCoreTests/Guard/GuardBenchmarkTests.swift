import Foundation
import KeelCore
import Testing

/// How long one scan with every detector on takes, per 4 KB of text: typical prose (fortunes),
/// adversarial inputs built to make a naive scanner backtrack or re-read (4 KB of `@`, digits,
/// base64, one repeated word, spaced letters), and prose of 4, 16, 64 and 256 KB to show that the
/// cost is linear. Prints p50 and p99 of per-scan times, scaled to 4 KB. Not a timed test: it runs
/// only with `KEEL_GUARD_BENCH=1`, in release (never in CI):
///
///     KEEL_GUARD_BENCH=1 swift test -c release -Xswiftc -enable-testing --filter GuardBenchmarkTests
@Suite(
    "Guard detectors benchmark", .serialized,
    .enabled(if: ProcessInfo.processInfo.environment["KEEL_GUARD_BENCH"] == "1"))
struct GuardBenchmarkTests {
    let scanner = ContentScanner()

    static func prose(bytes: Int) throws -> String {
        let fortunes = try GuardFixtures.strings("benign-text", "fortunes")
        var text = ""
        var index = 0
        while text.utf8.count < bytes {
            text += fortunes[index % fortunes.count] + "\n\n"
            index += 1
        }
        return String(decoding: Array(text.utf8.prefix(bytes)), as: UTF8.self)
    }

    static func adversarial() -> [(String, String)] {
        var random = SplitMix64(seed: 42)
        let base64 = Data((0..<3_072).map { _ in UInt8.random(in: 0...255, using: &random) }).base64EncodedString()
        let digits = String((0..<4_096).map { _ in "0123456789".randomElement(using: &random)! })
        return [
            ("4 KB of @", String(repeating: "@", count: 4_096)),
            ("4 KB of digits", digits),
            ("4 KB of '1 '", String(repeating: "1 ", count: 2_048)),
            ("4 KB of base64", base64),
            ("4 KB of 'ignore '", String(repeating: "ignore ", count: 585)),
            ("4 KB of 'a@b.c '", String(repeating: "a@b.c ", count: 682)),
            ("4 KB of spaced letters", String(repeating: "i g n o r e ", count: 341)),
            ("4 KB of '+1 ('", String(repeating: "+1 (", count: 1_024)),
            ("4 KB of hex", String((0..<4_096).map { _ in "0123456789abcdef".randomElement(using: &random)! })),
        ]
    }

    /// p50 and p99 of `runs` scans of `text`, in microseconds per 4 KB.
    func measure(_ text: String, runs: Int) -> (p50: Double, p99: Double) {
        var text = text
        let size = text.utf8.count
        var times: [Double] = []
        times.reserveCapacity(runs)
        text.withUTF8 { bytes in
            for _ in 0..<max(3, runs / 10) { _ = self.scanner.scan(utf8: bytes) }
            for _ in 0..<runs {
                let start = ContinuousClock.now
                let scan = self.scanner.scan(utf8: bytes)
                let elapsed = ContinuousClock.now - start
                withExtendedLifetime(scan) {}
                times.append((Double(elapsed.components.attoseconds) / 1e12 + Double(elapsed.components.seconds) * 1e6) * 4_096 / Double(size))
            }
        }
        times.sort()
        return (times[times.count / 2], times[min(times.count - 1, times.count * 99 / 100)])
    }

    func report(_ label: String, _ text: String, runs: Int) {
        let (p50, p99) = self.measure(text, runs: runs)
        print("guard.bench \(label) (\(text.utf8.count) bytes): p50 \(String(format: "%.1f", p50)) µs/4KB, p99 \(String(format: "%.1f", p99)) µs/4KB")
    }

    @Test func typicalProse() throws {
        self.report("prose", try Self.prose(bytes: 4_096), runs: 5_000)
    }

    @Test func adversarialInput() {
        for (label, text) in Self.adversarial() { self.report(label, text, runs: 2_000) }
    }

    @Test func costIsLinearInSize() throws {
        for kilobytes in [4, 16, 64, 256] {
            self.report("prose \(kilobytes) KB", try Self.prose(bytes: kilobytes * 1_024), runs: max(50, 4_000 / kilobytes))
        }
    }
}
