import FoundationEssentials

/// Wall-clock helpers for record timestamps and request ids.
enum WallClock {
    /// Microseconds since the Unix epoch.
    static func unixMicros() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1_000_000).rounded())
    }

    /// A request id that sorts by time: `req_` + 13 hex digits of the start time + 10 random hex digits.
    static func newRequestID(startedAt: Int64) -> String {
        var generator = SystemRandomNumberGenerator()
        let random = generator.next() & 0xFF_FFFF_FFFF
        let time = String(UInt64(startedAt), radix: 16)
        let noise = String(random, radix: 16)
        return "req_" + String(repeating: "0", count: max(0, 13 - time.count)) + time
            + String(repeating: "0", count: max(0, 10 - noise.count)) + noise
    }
}
