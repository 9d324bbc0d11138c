import KeelCore
import Yams

/// A cursor into the parsed YAML that knows its key path, interpolates `${ENV}` in scalars and
/// collects problems instead of stopping at the first.
struct ConfigNode {
    let node: Yams.Node?
    let path: String
    let context: ConfigContext

    var isPresent: Bool { self.node != nil && !self.isNull }
    private var isNull: Bool {
        guard case .scalar(let scalar)? = self.node else { return false }
        return scalar.style == .plain && ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    func child(_ key: String) -> ConfigNode {
        ConfigNode(
            node: self.node?.mapping?[key],
            path: self.path.isEmpty ? key : "\(self.path).\(key)",
            context: self.context
        )
    }

    /// Reports keys of this mapping that are not in `allowed` (typos fail loudly).
    func expectKeys(_ allowed: Set<String>) {
        guard let node = self.node, self.isPresent else { return }
        guard let mapping = node.mapping else {
            self.context.report(self.path, "must be a mapping")
            return
        }
        for key in mapping.keys {
            guard let name = key.string else { continue }
            if !allowed.contains(name) {
                self.context.report(
                    self.path.isEmpty ? name : "\(self.path).\(name)",
                    "unknown key (allowed: \(allowed.sorted().joined(separator: ", ")))"
                )
            }
        }
    }

    var elements: [ConfigNode] {
        guard let node = self.node, self.isPresent else { return [] }
        guard let sequence = node.sequence else {
            self.context.report(self.path, "must be a list")
            return []
        }
        return sequence.enumerated().map { ConfigNode(node: $1, path: "\(self.path)[\($0)]", context: self.context) }
    }

    var mappingKeys: [String] {
        self.node?.mapping?.keys.compactMap(\.string) ?? []
    }

    /// The scalar text with `${NAME}` / `${NAME:-default}` replaced from the environment.
    var text: String? {
        guard let node = self.node, self.isPresent else { return nil }
        guard case .scalar(let scalar) = node else {
            self.context.report(self.path, "must be a single value")
            return nil
        }
        return self.context.interpolate(scalar.string, at: self.path)
    }

    /// The node as JSON (for documents read by their own parser, like playbooks): a plain
    /// `true`/`false` is a boolean, a plain number a number, a plain null `null`; every other
    /// scalar a string (with `${ENV}` interpolated).
    var jsonValue: JSONValue {
        guard let node = self.node, self.isPresent else { return .null }
        switch node {
        case .mapping(let mapping):
            return .object(
                mapping.compactMap { key, _ in key.string }.map { .init(key: $0, value: self.child($0).jsonValue) }
            )
        case .sequence:
            return .array(self.elements.map(\.jsonValue))
        case .scalar(let scalar):
            let text = self.context.interpolate(scalar.string, at: self.path)
            if scalar.style == .plain {
                if text == "true" || text == "false" { return .bool(text == "true") }
                if Int64(text) != nil
                    || (Double(text) != nil && text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }))
                {
                    return .number(text)
                }
            }
            return .string(text)
        default:
            self.context.report(self.path, "must be a mapping, a list or a value")
            return .null
        }
    }

    /// One of a fixed set of words (`Value`'s raw values), or `value` when absent; anything else
    /// is reported with the words allowed.
    func choice<Value: RawRepresentable>(default value: Value, allowed: [Value]) -> Value
    where Value.RawValue == String {
        guard let text = self.text else { return value }
        guard let parsed = Value(rawValue: text) else {
            self.context.report(
                self.path,
                "must be one of \(allowed.map(\.rawValue).joined(separator: ", ")), got '\(text)'"
            )
            return value
        }
        return parsed
    }

    func string(default value: String? = nil) -> String? {
        self.text ?? value
    }

    func requiredString() -> String? {
        guard let text = self.text, !text.isEmpty else {
            self.context.report(self.path, "is required")
            return nil
        }
        return text
    }

    func int(default value: Int, range: ClosedRange<Int>) -> Int {
        guard let text = self.text else { return value }
        guard let number = Int(text), range.contains(number) else {
            self.context.report(
                self.path,
                "must be an integer in \(range.lowerBound)...\(range.upperBound), got '\(text)'"
            )
            return value
        }
        return number
    }

    func optionalInt(range: ClosedRange<Int>) -> Int? {
        guard self.text != nil else { return nil }
        return self.int(default: range.lowerBound, range: range)
    }

    func bool(default value: Bool) -> Bool {
        guard let text = self.text else { return value }
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default:
            self.context.report(self.path, "must be true or false, got '\(text)'")
            return value
        }
    }

    func stringList() -> [String] {
        if case .scalar? = self.node, let single = self.text {
            return single.split(separator: ",").map { String($0).trimmedWhitespace() }.filter { !$0.isEmpty }
        }
        return self.elements.compactMap { $0.requiredString() }
    }

    /// A duration in milliseconds.
    func milliseconds(default value: Duration) -> Duration {
        guard self.isPresent else { return value }
        return .milliseconds(self.int(default: 0, range: 1...86_400_000))
    }

    /// A price in dollars per million tokens (`2.50`).
    func rate() -> TokenRate? {
        guard let text = self.text else { return nil }
        guard let rate = TokenRate(dollarsPerMillion: text) else {
            self.context.report(self.path, "must be a price in dollars per million tokens, like 2.50")
            return nil
        }
        return rate
    }
}

/// Shared state of one configuration read: the environment and the problems found.
final class ConfigContext {
    let environment: [String: String]
    /// Whether `${…}` placeholders are resolved: not in documents that come from clients (the
    /// admin API), whose text must never reach the environment.
    let interpolates: Bool
    private(set) var issues: [ConfigurationError.Issue] = []

    init(environment: [String: String], interpolates: Bool = true) {
        self.environment = environment
        self.interpolates = interpolates
    }

    func report(_ key: String, _ reason: String) {
        self.issues.append(.init(key: key.isEmpty ? "(root)" : key, reason: reason))
    }

    /// Placeholder framing for `${…}` expressions: YAML cannot hold `${X}` unquoted inside a
    /// flow mapping (`{ api_key: ${KEY} }`), so expressions are swapped for plain-scalar-safe
    /// tokens before parsing and resolved per value afterwards, where the key path is known.
    static let placeholderStart = "KEELENV0x"
    static let placeholderEnd: Character = "X"

    /// `text` with every `${expression}` replaced by a placeholder token.
    static func protectExpressions(_ text: String) -> String {
        var output = ""
        output.reserveCapacity(text.utf8.count)
        var rest = Substring(text)
        while let open = rest.firstRange(of: "${"), let close = rest[open.upperBound...].firstIndex(of: "}") {
            output += rest[..<open.lowerBound]
            let expression = rest[open.upperBound..<close]
            output += Self.placeholderStart
            for byte in expression.utf8 {
                output += String(byte >> 4, radix: 16) + String(byte & 0x0F, radix: 16)
            }
            output.append(Self.placeholderEnd)
            rest = rest[rest.index(after: close)...]
        }
        return output + rest
    }

    func interpolate(_ text: String, at path: String) -> String {
        guard self.interpolates, text.contains(Self.placeholderStart) else { return text }
        var output = ""
        var rest = Substring(text)
        while let open = rest.firstRange(of: Self.placeholderStart),
            let close = rest[open.upperBound...].firstIndex(of: Self.placeholderEnd)
        {
            output += rest[..<open.lowerBound]
            let hex = Array(rest[open.upperBound..<close].utf8)
            var bytes: [UInt8] = []
            var index = 0
            while index + 1 < hex.count {
                bytes.append(UInt8(String(decoding: hex[index...index + 1], as: UTF8.self), radix: 16) ?? 0)
                index += 2
            }
            let expression = String(decoding: bytes, as: UTF8.self)
            let parts = expression.split(separator: ":-", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0])
            let fallback: Substring? = parts.count == 2 ? parts[1] : nil
            if let value = self.environment[name], !value.isEmpty {
                output += value
            } else if let fallback {
                output += fallback
            } else {
                self.report(path, "environment variable \(name) is not set")
            }
            rest = rest[rest.index(after: close)...]
        }
        return output + rest
    }
}

extension String {
    func trimmedWhitespace() -> String {
        var slice = Substring(self)
        while let first = slice.first, first.isWhitespace { slice.removeFirst() }
        while let last = slice.last, last.isWhitespace { slice.removeLast() }
        return String(slice)
    }
}
