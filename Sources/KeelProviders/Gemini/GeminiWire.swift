import KeelCore

/// The vocabulary of Google's Gemini API (`v1beta` `generateContent`): paths, field values and
/// the JSON-Schema subset its function declarations accept.
///
/// Bodies are read and written as ``JSONValue`` trees rather than `Codable` types:
/// `JSONDecoder` is slow on Linux (10–17 µs for a small chat body, DESIGN.md §9), and a tree keeps
/// the members' order and passes unknown fields (tool arguments, schemas) through untouched.
///
/// Reference: https://ai.google.dev/api/generate-content and https://ai.google.dev/api/caching#Schema
enum GeminiWire {
    /// Roles of `contents[].role`.
    static let userRole = "user"
    static let modelRole = "model"

    /// `toolConfig.functionCallingConfig.mode` values.
    enum FunctionCallingMode: String {
        case auto = "AUTO"
        case none = "NONE"
        case any = "ANY"
    }

    /// The path of a model method, e.g. `/v1beta/models/gemini-2.5-flash:generateContent`.
    ///
    /// A leading `models/` (the API's resource name form) is accepted and not doubled; the id is
    /// percent-encoded as one path segment.
    static func methodPath(prefix: String, apiVersion: String, model: String, stream: Bool) -> String {
        Self.methodPath(prefix: prefix, apiVersion: apiVersion, model: model, method: stream ? ":streamGenerateContent?alt=sse" : ":generateContent")
    }

    /// The path of `method` (`:batchEmbedContents`, …) on `model`.
    static func methodPath(prefix: String, apiVersion: String, model: String, method: String) -> String {
        var id = Substring(model)
        if id.hasPrefix("models/") { id = id.dropFirst("models/".count) }
        return prefix + "/" + apiVersion + "/models/" + SigV4Signer.uriEncode(String(id), keepSlash: false) + method
    }

    /// The keys of Gemini's `Schema` object (an OpenAPI 3.0 subset). Everything else in a JSON
    /// Schema is removed before it is sent, because Gemini answers 400 INVALID_ARGUMENT for unknown
    /// keys — notably `additionalProperties`, `$schema`, `$id`, `$defs`/`definitions`, `$comment`,
    /// `examples`, `strict`, `allOf`, `not`, `exclusiveMinimum`/`exclusiveMaximum`, `multipleOf`,
    /// `uniqueItems` and `patternProperties`. `oneOf` becomes `anyOf`, a string `const` becomes a
    /// one-value `enum`, and a type list such as `["string","null"]` becomes `type` + `nullable`.
    /// A `$ref` is refused: it cannot be resolved without changing the schema's meaning.
    static let schemaKeys: Set<String> = [
        "type", "format", "title", "description", "nullable", "enum", "maxItems", "minItems", "properties",
        "required", "minProperties", "maxProperties", "minLength", "maxLength", "pattern", "example", "anyOf",
        "propertyOrdering", "default", "items", "minimum", "maximum",
    ]

    /// The `format` values Gemini accepts; others (`email`, `uri`…) are rejected by the API.
    static let schemaFormats: Set<String> = ["enum", "date-time", "int32", "int64", "float", "double"]

    /// Separates a function call's id from the `thoughtSignature` Gemini attached to it.
    ///
    /// Gemini 3 refuses a conversation whose earlier function calls come back without their
    /// thought signatures, and the canonical tool call has no field for one, so the signature
    /// travels inside the id the client echoes: `call_…__thought__<signature>`.
    static let thoughtSignatureMarker = "__thought__"

    /// A new id for a function call: Gemini (before 3.0) does not name its calls, and clients
    /// match results to calls by id.
    static func newToolCallID() -> String {
        "call_" + randomAlphanumerics(24)
    }

    static func randomAlphanumerics(_ count: Int) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<count).map { _ in alphabet[Int(generator.next(upperBound: UInt64(alphabet.count)))] })
    }
}
