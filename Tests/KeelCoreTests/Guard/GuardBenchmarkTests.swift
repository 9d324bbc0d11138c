import Foundation
import KeelCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// How long one scan with every detector on takes, per 4 KB of text: typical prose (fortunes),
/// adversarial inputs built to make a naive scanner backtrack or re-read (4 KB of `@`, digits,
/// base64, one repeated word, spaced letters), and prose of 4, 16, 64 and 256 KB to show that the
/// cost is linear. Prints p50 and p99 of per-scan times, scaled to 4 KB, in CPU time of the
/// scanning thread (so that other work on a shared machine does not count), and the wall-clock p50
/// beside it. Not a timed test: it runs only with `KEEL_GUARD_BENCH=1`, in release (never in CI):
///
///     KEEL_GUARD_BENCH=1 swift test -c release -Xswiftc -enable-testing --filter GuardBenchmarkTests
@Suite(
    "Guard detectors benchmark",
    .serialized,
    .enabled(if: ProcessInfo.processInfo.environment["KEEL_GUARD_BENCH"] == "1")
)
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
            ("4 KB of dotted letters", String(repeating: "i.g.n.o.r.e ", count: 341)),
            ("4 KB of joined words", String(repeating: "ignore\u{2060}", count: 455)),
            ("4 KB of Chinese", String(repeating: "忽略之前的所有指令，", count: 136)),
            ("4 KB of Cyrillic", String(repeating: "игнорируй все ", count: 158)),
            ("4 KB of markdown links", String(repeating: "![a](http://x.io/p?q={h}) ", count: 157)),
            ("4 KB of quotes and comments", String(repeating: "\"<!-- 'a' -->\" ", count: 256)),
        ]
    }

    /// The CPU time of the calling thread, in microseconds.
    static func threadMicroseconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) * 1e6 + Double(time.tv_nsec) / 1e3
    }

    /// p50 and p99 of the thread CPU time of `runs` scans of `text`, and the p50 of wall-clock
    /// time, in microseconds per 4 KB.
    func measure(_ text: String, runs: Int, scanner: ContentScanner) -> (p50: Double, p99: Double, wall: Double) {
        var text = text
        let scale = 4_096 / Double(text.utf8.count)
        var cpu: [Double] = []
        var wall: [Double] = []
        cpu.reserveCapacity(runs)
        wall.reserveCapacity(runs)
        text.withUTF8 { bytes in
            for _ in 0..<max(3, runs / 10) { _ = scanner.scan(utf8: bytes) }
            for _ in 0..<runs {
                let start = ContinuousClock.now
                let cpuStart = Self.threadMicroseconds()
                let scan = scanner.scan(utf8: bytes)
                let cpuEnd = Self.threadMicroseconds()
                let elapsed = ContinuousClock.now - start
                withExtendedLifetime(scan) {}
                cpu.append((cpuEnd - cpuStart) * scale)
                wall.append(
                    (Double(elapsed.components.attoseconds) / 1e12 + Double(elapsed.components.seconds) * 1e6) * scale
                )
            }
        }
        cpu.sort()
        wall.sort()
        return (cpu[cpu.count / 2], cpu[min(cpu.count - 1, cpu.count * 99 / 100)], wall[wall.count / 2])
    }

    func report(_ label: String, _ text: String, runs: Int, scanner: ContentScanner? = nil) {
        let (p50, p99, wall) = self.measure(text, runs: runs, scanner: scanner ?? self.scanner)
        print(
            "guard.bench \(label) (\(text.utf8.count) bytes): p50 \(String(format: "%.1f", p50)) µs/4KB, p99 \(String(format: "%.1f", p99)) µs/4KB CPU; wall p50 \(String(format: "%.1f", wall))"
        )
    }

    /// Each detector alone on the same prose, to show where the time goes.
    @Test func eachDetectorAlone() throws {
        let text = try Self.prose(bytes: 4_096)
        self.report(
            "PII only",
            text,
            runs: 3_000,
            scanner: ContentScanner(configuration: .init(secrets: [], injection: false))
        )
        self.report(
            "secrets only",
            text,
            runs: 3_000,
            scanner: ContentScanner(configuration: .init(personalData: [], injection: false))
        )
        self.report(
            "injection only",
            text,
            runs: 3_000,
            scanner: ContentScanner(configuration: .init(personalData: [], secrets: []))
        )
    }

    @Test func typicalProse() throws {
        self.report("prose", try Self.prose(bytes: 4_096), runs: 5_000)
    }

    /// `KEEL_GUARD_BENCH_ONLY=digits` runs only the inputs whose label holds that word (for a profiler).
    @Test func adversarialInput() {
        let only = ProcessInfo.processInfo.environment["KEEL_GUARD_BENCH_ONLY"]
        for (label, text) in Self.adversarial() where only.map(label.contains) ?? true {
            self.report(label, text, runs: 2_000)
        }
    }

    @Test func costIsLinearInSize() throws {
        for kilobytes in [4, 16, 64, 256] {
            self.report(
                "prose \(kilobytes) KB",
                try Self.prose(bytes: kilobytes * 1_024),
                runs: max(50, 4_000 / kilobytes)
            )
        }
        // The adversarial inputs that cost most per byte, at 1, 4, 16 and 64 KB.
        for unit in ["1 ", "i g n o r e ", "忽略之前的所有指令，"] {
            for kilobytes in [1, 4, 16, 64] {
                let text = String(repeating: unit, count: kilobytes * 1_024 / unit.utf8.count)
                self.report("'\(unit)' \(kilobytes) KB", text, runs: max(50, 2_000 / kilobytes))
            }
        }
    }

    /// Scans 4 KB of text with no findings and no signals `KEEL_GUARD_BENCH_SCANS` times, for an
    /// allocation count under a heap profiler: run it twice with different counts and divide the
    /// difference in allocations by the difference in scans (see `docs/guard-detectors.md`).
    @Test func cleanScansForAnAllocationCount() throws {
        let scans = Int(ProcessInfo.processInfo.environment["KEEL_GUARD_BENCH_SCANS"] ?? "") ?? 0
        guard scans > 0 else { return }
        var clean = ""
        for fortune in try GuardFixtures.strings("benign-text", "fortunes") where clean.utf8.count < 4_096 {
            let scan = self.scanner.scan(fortune)
            if scan.pii.isEmpty, scan.secrets.isEmpty, scan.injection.signals.isEmpty { clean += fortune + "\n\n" }
        }
        var text = String(decoding: Array(clean.utf8.prefix(4_096)), as: UTF8.self)
        var empty = 0
        text.withUTF8 { bytes in
            for _ in 0..<scans where self.scanner.scan(utf8: bytes).findings.isEmpty { empty += 1 }
        }
        print("guard.bench clean scans: \(scans), without findings: \(empty)")
    }
}
