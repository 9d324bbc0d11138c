/// The rules of free-form attribution tags (`feature=search,env=prod`): how the `x-keel-tags`
/// header is read, the bounds every tag set keeps, and the stored JSON form.
///
/// A header carries at most ``maxCount`` tags; each key and value is 1 to ``maxLength``
/// characters of `[A-Za-z0-9_.:/-]`. The key's default tags (bounded when the key is created)
/// are not counted, so a key's defaults never make its requests fail. The gateway refuses a
/// request whose header breaks a rule with 400 `invalid_request` (`param` `x-keel-tags`) in the
/// client's dialect, before it is admitted and without a record.
public enum AttributionTags {
    /// The most tags one `x-keel-tags` header carries.
    public static let maxCount = 16
    /// The longest tag key or value, in characters.
    public static let maxLength = 64

    /// Whether `text` is a valid tag key or value.
    public static func isValid(_ text: Substring) -> Bool {
        guard !text.isEmpty, text.utf8.count <= Self.maxLength else { return false }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "."),
                UInt8(ascii: ":"), UInt8(ascii: "/"), UInt8(ascii: "-"):
                continue
            default:
                return false
            }
        }
        return true
    }

    /// `defaults` overlaid by the tags of an `x-keel-tags` header (`k=v,k2=v2`; spaces around
    /// items are ignored, a later duplicate key wins).
    ///
    /// - Throws: `KeelError.invalidRequest` (param `x-keel-tags`) for a malformed item, an
    ///   invalid key or value, or more than ``maxCount`` tags in the header.
    public static func overlay(_ defaults: [String: String], header: String?) throws(KeelError) -> [String: String] {
        guard let header, !header.isEmpty else { return defaults }
        var tags = defaults
        var count = 0
        for item in header.split(separator: ",", omittingEmptySubsequences: true) {
            let trimmed = item.trimmingSpaces
            if trimmed.isEmpty { continue }
            guard let equals = trimmed.firstIndex(of: "=") else {
                throw Self.invalid("Invalid 'x-keel-tags': each tag is key=value.")
            }
            let key = trimmed[..<equals]
            let value = trimmed[trimmed.index(after: equals)...]
            guard Self.isValid(key), Self.isValid(value) else {
                throw Self.invalid(
                    "Invalid 'x-keel-tags': keys and values are 1 to \(Self.maxLength) characters of A-Z a-z 0-9 _ . : / -.")
            }
            count += 1
            guard count <= Self.maxCount else {
                throw Self.invalid("Invalid 'x-keel-tags': at most \(Self.maxCount) tags.")
            }
            tags[String(key)] = String(value)
        }
        return tags
    }

    /// `tags` as a JSON object with sorted keys, so equal sets store equal text.
    public static func json(_ tags: [String: String]) -> String {
        guard !tags.isEmpty else { return "{}" }
        var json = "{"
        for (index, key) in tags.keys.sorted().enumerated() {
            if index > 0 { json += "," }
            JSONWriter.appendString(key, to: &json)
            json += ":"
            JSONWriter.appendString(tags[key] ?? "", to: &json)
        }
        return json + "}"
    }

    private static func invalid(_ message: String) -> KeelError {
        .invalidRequest(message, param: "x-keel-tags")
    }
}

extension Substring {
    fileprivate var trimmingSpaces: Substring {
        var text = self
        while text.first == " " { text.removeFirst() }
        while text.last == " " { text.removeLast() }
        return text
    }
}
