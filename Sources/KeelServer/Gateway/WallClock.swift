import FoundationEssentials
import Synchronization

/// Wall-clock helpers for record timestamps and request ids.
enum WallClock {
    /// Microseconds since the Unix epoch.
    static func unixMicros() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1_000_000).rounded())
    }

    /// Ids within one process differ by this counter; its random start keeps the ids of gateway
    /// instances sharing a database apart. No system call per request, unlike a fresh random draw.
    private static let sequence = Atomic<UInt64>(UInt64.random(in: 0..<(1 << 40)))

    /// A request id that sorts by time: `req_` + 13 hex digits of the start time + 10 hex digits
    /// of a per-process sequence.
    static func newRequestID(startedAt: Int64) -> String {
        let next = Self.sequence.add(1, ordering: .relaxed).newValue & 0xFF_FFFF_FFFF
        var id = "req_"
        id.reserveCapacity(27)
        Self.appendHex(UInt64(startedAt), digits: 13, to: &id)
        Self.appendHex(next, digits: 10, to: &id)
        return id
    }

    private static func appendHex(_ value: UInt64, digits: Int, to output: inout String) {
        let alphabet: StaticString = "0123456789abcdef"
        for shift in stride(from: (digits - 1) * 4, through: 0, by: -4) {
            let nibble = Int((value >> UInt64(shift)) & 0xF)
            output.unicodeScalars.append(Unicode.Scalar(alphabet.utf8Start[nibble]))
        }
    }
}
