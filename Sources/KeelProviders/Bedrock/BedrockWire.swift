import KeelCore

/// The vocabulary of Amazon Bedrock's Converse API: paths, field values and event names.
///
/// Bodies are read and written as ``JSONValue`` trees rather than `Codable` types:
/// `JSONDecoder` is slow on Linux (10–17 µs for a small chat body, DESIGN.md §9), and a tree keeps
/// the members' order and passes tool inputs and schemas through untouched.
///
/// Reference: https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html and
/// `API_runtime_ConverseStream.html`.
enum BedrockWire {
    /// The SigV4 service name of `bedrock-runtime`.
    static let signingService = "bedrock"

    /// `/model/{modelId}/converse` or `/converse-stream`, the id percent-encoded as one segment
    /// (ARNs and ids such as `anthropic.claude-3-5-haiku-20241022-v1:0` contain `:` and `/`).
    static func path(prefix: String, model: String, stream: Bool) -> String {
        prefix + "/model/" + SigV4Signer.uriEncode(model, keepSlash: false) + (stream ? "/converse-stream" : "/converse")
    }

    /// Image formats of `image.format`, by media type.
    static func imageFormat(mediaType: String) -> String? {
        switch mediaType.lowercased() {
        case "image/png": "png"
        case "image/jpeg", "image/jpg": "jpeg"
        case "image/gif": "gif"
        case "image/webp": "webp"
        default: nil
        }
    }

    /// Media types of `image.format`.
    static func mediaType(imageFormat: String) -> String {
        imageFormat == "jpeg" ? "image/jpeg" : "image/" + imageFormat
    }

    /// A cache checkpoint block (`cachePoint`), placed after the content it closes.
    static let cachePoint: JSONValue = .object(["cachePoint": .object(["type": .string("default")])])

    /// Event-stream header names.
    enum Header {
        static let messageType = ":message-type"
        static let eventType = ":event-type"
        static let exceptionType = ":exception-type"
        static let errorCode = ":error-code"
        static let errorMessage = ":error-message"
    }

    /// A new id for an answer: Converse responses carry none.
    static func newMessageID() -> String {
        "bedrock-" + GeminiWire.randomAlphanumerics(24)
    }
}
