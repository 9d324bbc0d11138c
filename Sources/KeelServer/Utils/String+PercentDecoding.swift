extension String {
    /// The text with its `%XX` escapes decoded (a URL path segment, an `OTEL_EXPORTER_OTLP_HEADERS`
    /// value); `nil` when an escape is malformed or the result is not UTF-8.
    var percentDecoded: String? {
        guard self.utf8.contains(UInt8(ascii: "%")) else { return self }
        var bytes: [UInt8] = []
        var iterator = self.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next(), let low = iterator.next(),
                let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)
            else { return nil }
            bytes.append(value)
        }
        return String(validating: bytes, as: UTF8.self)
    }
}
