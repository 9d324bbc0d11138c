/// Base64 and hex blobs in a text that decode to readable text, so that an instruction hidden
/// as `aWdub3JlIGFsbCBwcmV2aW91cyBpbnN0cnVjdGlvbnM=` is scanned as the words it hides.
///
/// A run of the base64 alphabet (standard or URL-safe) or of hex digits, at least 20 bytes
/// long, is decoded; the result is kept when at least nine in ten of its bytes are printable
/// ASCII or whitespace. Hashes, keys and random ids decode to binary and are dropped, so they
/// cost one decode and no scan. Each byte of the input is read once, and at most 16 blobs and
/// 64 KiB of decoded text are kept per scan.
enum InjectionPayloads {
    static let minimumRun = 20
    static let maximumPayloads = 16
    static let maximumDecodedBytes = 65_536

    static func decoded(in bytes: UnsafeBufferPointer<UInt8>) -> [[UInt8]] {
        var payloads: [[UInt8]] = []
        var decodedBytes = 0
        let count = bytes.count
        var index = 0
        while index < count, payloads.count < Self.maximumPayloads, decodedBytes < Self.maximumDecodedBytes {
            guard Self.isBase64(bytes[index]) else {
                index += 1
                continue
            }
            let start = index
            while index < count, Self.isBase64(bytes[index]) { index += 1 }
            let end = index
            while index < count, bytes[index] == UInt8(ascii: "="), index - end < 2 { index += 1 }
            // Words are runs too; only long ones are looked at twice.
            guard end - start >= Self.minimumRun else { continue }
            let run = UnsafeBufferPointer(rebasing: bytes[start..<end])
            var hexOnly = true
            var digits = false
            var upper = false
            var lower = false
            for byte in run {
                hexOnly = hexOnly && GuardByte.isHexDigit(byte)
                digits = digits || GuardByte.isDigit(byte)
                upper = upper || GuardByte.isUpper(byte)
                lower = lower || GuardByte.isLower(byte)
            }
            var payload: [UInt8]?
            if hexOnly, run.count % 2 == 0 {
                payload = Self.hex(run)
            } else if digits || (upper && lower) {
                payload = Self.base64(run)
            }
            if let payload, payload.count >= 12, Self.isReadable(payload) {
                decodedBytes += payload.count
                payloads.append(payload)
            }
        }
        return payloads
    }

    @inline(__always) static func isBase64(_ byte: UInt8) -> Bool {
        GuardByte.isAlphanumeric(byte) || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "/")
            || byte == UInt8(ascii: "-")
            || byte == UInt8(ascii: "_")
    }

    static func sextet(_ byte: UInt8) -> UInt32 {
        if GuardByte.isUpper(byte) { return UInt32(byte - 0x41) }
        if GuardByte.isLower(byte) { return UInt32(byte - 0x61 + 26) }
        if GuardByte.isDigit(byte) { return UInt32(byte - 0x30 + 52) }
        return byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-") ? 62 : 63
    }

    /// Decodes base64 (either alphabet, padding already stripped); a trailing partial group is
    /// decoded as far as it goes.
    static func base64(_ run: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(run.count * 3 / 4)
        var buffer: UInt32 = 0
        var bits = 0
        for byte in run {
            buffer = buffer << 6 | Self.sextet(byte)
            bits += 6
            if bits >= 8 {
                bits -= 8
                output.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bits)))
            }
        }
        return output
    }

    static func hex(_ run: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(run.count / 2)
        var index = 0
        while index + 1 < run.count {
            output.append(GuardByte.hexValue(run[index]) << 4 | GuardByte.hexValue(run[index + 1]))
            index += 2
        }
        return output
    }

    /// Whether at least 90 % of `bytes` are printable ASCII, tab or newline, and some are letters.
    static func isReadable(_ bytes: [UInt8]) -> Bool {
        var printable = 0
        var letters = 0
        for byte in bytes {
            if (byte >= 0x20 && byte < 0x7F) || byte == 0x0A || byte == 0x09 || byte == 0x0D { printable += 1 }
            if GuardByte.isLetter(byte) { letters += 1 }
        }
        return printable * 10 >= bytes.count * 9 && letters * 2 >= bytes.count
    }
}
