import KeelCore
import NIOCore

/// Reading the JSON object bodies of the `/v1/tasks` routes and the admin API: one shape check
/// and one message per kind of mistake, with `param` naming the member.
extension JSONValue {
    /// `bytes` as a JSON object (`{}` for an empty body when `allowEmpty`).
    ///
    /// - Throws: 400 `invalid_request` saying the body must be a JSON object of `shape`.
    static func object(_ bytes: ByteBuffer, allowEmpty: Bool = false, shape: String) throws(KeelError) -> JSONValue {
        if allowEmpty, bytes.readableBytes == 0 { return .object([]) }
        guard let value = try? JSONValue(parsing: bytes), case .object = value else {
            throw .invalidRequest("The body must be a JSON object: \(shape).")
        }
        return value
    }

    /// The string member `key`; `nil` when absent or `null`.
    func optionalString(_ key: String) throws(KeelError) -> String? {
        switch self[key] {
        case nil, .null?: return nil
        case .string(let text)?: return text
        default: throw .invalidRequest("Invalid '\(key)': expected a string.", param: key)
        }
    }

    /// The integer member `key` within `range`; `nil` when absent or `null`.
    func optionalInt(_ key: String, in range: ClosedRange<Int>) throws(KeelError) -> Int? {
        guard let value = self[key], value != .null else { return nil }
        guard let number = value.int, range.contains(number) else {
            throw .invalidRequest(
                "Invalid '\(key)': an integer from \(range.lowerBound) to \(range.upperBound).",
                param: key
            )
        }
        return number
    }
}
