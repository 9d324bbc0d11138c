#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Byte search over raw bytes: line ends in streams, fixed tokens such as `[DONE]`.
///
/// Not for reading JSON: a pattern such as `"usage":{` misses valid JSON written another way
/// (`"usage": {`, an escaped key) and matches keys nested where they mean something else. JSON
/// is read with ``JSONReader``.
public enum ByteSearch {
    /// The offset of the first occurrence of `pattern` in `bytes`, or `nil`.
    ///
    /// Jumps between occurrences of the pattern's first byte with C's `memchr` and compares the
    /// rest with `memcmp` (both vectorised in glibc): stream observers call this several times
    /// for every event, and a byte-by-byte loop was the gateway's hottest function on streams.
    public static func firstIndex(of pattern: StaticString, in bytes: UnsafeRawBufferPointer, from start: Int = 0) -> Int? {
        let count = pattern.utf8CodeUnitCount
        guard count > 0, start >= 0, bytes.count - start >= count, let base = bytes.baseAddress else { return nil }
        let needle = pattern.utf8Start
        let first = Int32(needle[0])
        var index = start
        let last = bytes.count - count
        while index <= last {
            guard let found = memchr(base + index, first, last - index + 1) else { return nil }
            let position = base.distance(to: UnsafeRawPointer(found))
            if count == 1 || memcmp(found + 1, needle + 1, count - 1) == 0 { return position }
            index = position + 1
        }
        return nil
    }

    /// The offset of the first `byte` in `bytes` at or after `start`, or `nil` (C's `memchr`).
    public static func firstIndex(of byte: UInt8, in bytes: UnsafeRawBufferPointer, from start: Int = 0) -> Int? {
        guard start >= 0, start < bytes.count, let base = bytes.baseAddress else { return nil }
        guard let found = memchr(base + start, Int32(byte), bytes.count - start) else { return nil }
        return base.distance(to: UnsafeRawPointer(found))
    }

    /// Whether `bytes` begins with `prefix`.
    public static func hasPrefix(_ prefix: StaticString, _ bytes: UnsafeRawBufferPointer) -> Bool {
        let count = prefix.utf8CodeUnitCount
        guard bytes.count >= count else { return false }
        let needle = prefix.utf8Start
        for offset in 0..<count where bytes[offset] != needle[offset] { return false }
        return true
    }

    /// Whether `bytes` are exactly `text`.
    public static func equals(_ bytes: UnsafeRawBufferPointer, _ text: StaticString) -> Bool {
        bytes.count == text.utf8CodeUnitCount && Self.hasPrefix(text, bytes)
    }
}
