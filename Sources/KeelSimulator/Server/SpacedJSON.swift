import NIOCore

/// Rewrites the simulator's compact JSON the way other servers write theirs (``SimulatorDirectives/JSONStyle/spaced``):
/// a space after every `:` and `,` outside strings, as Python's `json.dumps` does by default. The
/// gateway must read such JSON exactly as it reads compact JSON.
enum SpacedJSON {
    /// `json` with a space after every `:` and `,` outside strings.
    static func respace(json: String) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(json.utf8.count + json.utf8.count / 8)
        Self.respace(json.utf8, into: &output)
        return String(decoding: output, as: UTF8.self)
    }

    /// An SSE text whose `data:` values are respaced; the other lines are left as they are.
    static func respace(events: ByteBuffer) -> ByteBuffer {
        let bytes = Array(events.readableBytesView)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count + bytes.count / 8)
        var lineStart = 0
        while lineStart < bytes.count {
            let lineEnd = bytes[lineStart...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
            let line = bytes[lineStart..<lineEnd]
            if line.starts(with: "data:".utf8) {
                output.append(contentsOf: "data:".utf8)
                Self.respace(line.dropFirst(5), into: &output)
            } else {
                output.append(contentsOf: line)
            }
            if lineEnd < bytes.count { output.append(UInt8(ascii: "\n")) }
            lineStart = lineEnd + 1
        }
        return ByteBuffer(bytes: output)
    }

    private static func respace(_ text: some Sequence<UInt8>, into output: inout [UInt8]) {
        var inString = false
        var escaped = false
        for byte in text {
            output.append(byte)
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
            } else if byte == UInt8(ascii: "\"") {
                inString = true
            } else if byte == UInt8(ascii: ":") || byte == UInt8(ascii: ",") {
                output.append(UInt8(ascii: " "))
            }
        }
    }
}
