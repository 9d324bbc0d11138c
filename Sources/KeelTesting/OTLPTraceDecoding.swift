/// A span as an OTLP collector received it, decoded from an `ExportTraceServiceRequest`.
public struct CollectedSpan: Sendable, CustomStringConvertible {
    /// OTLP `Span.SpanKind`.
    public enum Kind: Int, Sendable {
        case unspecified = 0
        case `internal`, server, client, producer, consumer
    }

    /// Lower-case hex, as in `traceparent`.
    public var traceID = ""
    public var spanID = ""
    /// `nil` for a root span.
    public var parentSpanID: String?
    public var traceState = ""
    public var name = ""
    public var kind = Kind.unspecified
    public var startNanos: UInt64 = 0
    public var endNanos: UInt64 = 0
    public var attributes: [String: CollectedValue] = [:]
    /// OTLP `Status.StatusCode`: 0 unset, 1 ok, 2 error.
    public var statusCode = 0
    public var statusMessage = ""
    /// The attributes of the span's resource (`service.name`, …).
    public var resource: [String: CollectedValue] = [:]

    public var description: String {
        "\(self.name) [\(self.kind)] span=\(self.spanID) parent=\(self.parentSpanID ?? "-") status=\(self.statusCode) \(self.attributes.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))"
    }
}

/// An OTLP `AnyValue`.
public enum CollectedValue: Sendable, Equatable, CustomStringConvertible {
    case string(String)
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case array([CollectedValue])
    case bytes([UInt8])

    public var string: String? { if case .string(let value) = self { value } else { nil } }
    public var int: Int64? { if case .int(let value) = self { value } else { nil } }
    public var double: Double? { if case .double(let value) = self { value } else { nil } }
    public var bool: Bool? { if case .bool(let value) = self { value } else { nil } }
    public var array: [CollectedValue]? { if case .array(let value) = self { value } else { nil } }

    public var description: String {
        switch self {
        case .string(let value): "\"\(value)\""
        case .bool(let value): "\(value)"
        case .int(let value): "\(value)"
        case .double(let value): "\(value)"
        case .array(let values): "[" + values.map(\.description).joined(separator: ",") + "]"
        case .bytes(let bytes): "bytes(\(bytes.count))"
        }
    }
}

/// Decodes the OTLP trace export request (`opentelemetry/proto/collector/trace/v1`) with a
/// minimal protobuf reader: only the fields the tests look at; everything else is skipped by its
/// wire type, as protobuf readers do with unknown fields.
public enum OTLPTraceDecoding {
    public struct MalformedMessage: Error {}

    /// The spans of an `ExportTraceServiceRequest` body (`application/x-protobuf`).
    public static func spans(fromExportRequest bytes: [UInt8]) throws -> [CollectedSpan] {
        var spans: [CollectedSpan] = []
        var reader = ProtobufReader(bytes[...])
        while let field = try reader.next() {
            // 1: repeated ResourceSpans resource_spans
            guard field.number == 1, case .bytes(let resourceSpans) = field.value else { continue }
            spans += try Self.resourceSpans(resourceSpans)
        }
        return spans
    }

    private static func resourceSpans(_ bytes: ArraySlice<UInt8>) throws -> [CollectedSpan] {
        var resource: [String: CollectedValue] = [:]
        var scopeSpans: [ArraySlice<UInt8>] = []
        var reader = ProtobufReader(bytes)
        while let field = try reader.next() {
            switch (field.number, field.value) {
            case (1, .bytes(let message)):  // Resource resource
                var resourceReader = ProtobufReader(message)
                while let attribute = try resourceReader.next() {
                    if attribute.number == 1, case .bytes(let keyValue) = attribute.value {
                        let (key, value) = try Self.keyValue(keyValue)
                        resource[key] = value
                    }
                }
            case (2, .bytes(let message)):  // repeated ScopeSpans scope_spans
                scopeSpans.append(message)
            default:
                continue
            }
        }
        var spans: [CollectedSpan] = []
        for scope in scopeSpans {
            var reader = ProtobufReader(scope)
            while let field = try reader.next() {
                // 2: repeated Span spans
                guard field.number == 2, case .bytes(let message) = field.value else { continue }
                var span = try Self.span(message)
                span.resource = resource
                spans.append(span)
            }
        }
        return spans
    }

    private static func span(_ bytes: ArraySlice<UInt8>) throws -> CollectedSpan {
        var span = CollectedSpan()
        var reader = ProtobufReader(bytes)
        while let field = try reader.next() {
            switch (field.number, field.value) {
            case (1, .bytes(let id)): span.traceID = Self.hex(id)
            case (2, .bytes(let id)): span.spanID = Self.hex(id)
            case (3, .bytes(let state)): span.traceState = String(decoding: state, as: UTF8.self)
            case (4, .bytes(let id)): span.parentSpanID = id.isEmpty ? nil : Self.hex(id)
            case (5, .bytes(let name)): span.name = String(decoding: name, as: UTF8.self)
            case (6, .varint(let kind)): span.kind = CollectedSpan.Kind(rawValue: Int(kind)) ?? .unspecified
            case (7, .fixed64(let nanos)): span.startNanos = nanos
            case (8, .fixed64(let nanos)): span.endNanos = nanos
            case (9, .bytes(let keyValue)):
                let (key, value) = try Self.keyValue(keyValue)
                span.attributes[key] = value
            case (15, .bytes(let status)):
                var statusReader = ProtobufReader(status)
                while let statusField = try statusReader.next() {
                    switch (statusField.number, statusField.value) {
                    case (2, .bytes(let message)): span.statusMessage = String(decoding: message, as: UTF8.self)
                    case (3, .varint(let code)): span.statusCode = Int(code)
                    default: continue
                    }
                }
            default:
                continue
            }
        }
        return span
    }

    private static func keyValue(_ bytes: ArraySlice<UInt8>) throws -> (String, CollectedValue) {
        var key = ""
        var value = CollectedValue.string("")
        var reader = ProtobufReader(bytes)
        while let field = try reader.next() {
            switch (field.number, field.value) {
            case (1, .bytes(let text)): key = String(decoding: text, as: UTF8.self)
            case (2, .bytes(let any)): value = try Self.anyValue(any)
            default: continue
            }
        }
        return (key, value)
    }

    private static func anyValue(_ bytes: ArraySlice<UInt8>) throws -> CollectedValue {
        var reader = ProtobufReader(bytes)
        var value = CollectedValue.string("")
        while let field = try reader.next() {
            switch (field.number, field.value) {
            case (1, .bytes(let text)): value = .string(String(decoding: text, as: UTF8.self))
            case (2, .varint(let flag)): value = .bool(flag != 0)
            case (3, .varint(let number)): value = .int(Int64(bitPattern: number))
            case (4, .fixed64(let bits)): value = .double(Double(bitPattern: bits))
            case (5, .bytes(let array)):
                var values: [CollectedValue] = []
                var arrayReader = ProtobufReader(array)
                while let element = try arrayReader.next() {
                    if element.number == 1, case .bytes(let item) = element.value {
                        values.append(try Self.anyValue(item))
                    }
                }
                value = .array(values)
            case (7, .bytes(let raw)): value = .bytes(Array(raw))
            default: continue
            }
        }
        return value
    }

    private static func hex(_ bytes: ArraySlice<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}

/// Reads protobuf fields one by one (https://protobuf.dev/programming-guides/encoding/).
struct ProtobufReader {
    enum Value {
        case varint(UInt64)
        case fixed64(UInt64)
        case bytes(ArraySlice<UInt8>)
        case fixed32(UInt32)
    }

    private var bytes: ArraySlice<UInt8>

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
    }

    /// The next field, or `nil` at the end.
    mutating func next() throws -> (number: Int, value: Value)? {
        guard !self.bytes.isEmpty else { return nil }
        let tag = try self.varint()
        let number = Int(tag >> 3)
        switch tag & 7 {
        case 0:
            return (number, .varint(try self.varint()))
        case 1:
            return (number, .fixed64(try self.littleEndian(8)))
        case 2:
            let length = Int(try self.varint())
            guard length <= self.bytes.count else { throw OTLPTraceDecoding.MalformedMessage() }
            let value = self.bytes.prefix(length)
            self.bytes = self.bytes.dropFirst(length)
            return (number, .bytes(value))
        case 5:
            return (number, .fixed32(UInt32(try self.littleEndian(4))))
        default:
            throw OTLPTraceDecoding.MalformedMessage()
        }
    }

    private mutating func varint() throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while let byte = self.bytes.popFirst() {
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
            guard shift < 64 else { break }
        }
        throw OTLPTraceDecoding.MalformedMessage()
    }

    private mutating func littleEndian(_ count: Int) throws -> UInt64 {
        guard self.bytes.count >= count else { throw OTLPTraceDecoding.MalformedMessage() }
        var result: UInt64 = 0
        for (index, byte) in self.bytes.prefix(count).enumerated() { result |= UInt64(byte) << (8 * UInt64(index)) }
        self.bytes = self.bytes.dropFirst(count)
        return result
    }
}
