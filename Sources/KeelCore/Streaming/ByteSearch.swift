/// Substring search over raw bytes, for spotting JSON keys in stream events without parsing them.
///
/// Searching for a quoted key such as `"usage":{` is sound in JSON text: a quote inside a string
/// value is always escaped, so the pattern cannot match inside a value.
public enum ByteSearch {
    /// The offset of the first occurrence of `pattern` in `bytes`, or `nil`.
    public static func firstIndex(of pattern: StaticString, in bytes: UnsafeRawBufferPointer, from start: Int = 0) -> Int? {
        let count = pattern.utf8CodeUnitCount
        guard count > 0, bytes.count - start >= count else { return nil }
        let needle = pattern.utf8Start
        let first = needle[0]
        var index = start
        let last = bytes.count - count
        while index <= last {
            if bytes[index] == first {
                var offset = 1
                while offset < count, bytes[index + offset] == needle[offset] { offset += 1 }
                if offset == count { return index }
            }
            index += 1
        }
        return nil
    }

    /// Whether `bytes` begins with `prefix`.
    public static func hasPrefix(_ prefix: StaticString, _ bytes: UnsafeRawBufferPointer) -> Bool {
        let count = prefix.utf8CodeUnitCount
        guard bytes.count >= count else { return false }
        let needle = prefix.utf8Start
        for offset in 0..<count where bytes[offset] != needle[offset] { return false }
        return true
    }
}
