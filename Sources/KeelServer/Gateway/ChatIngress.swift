import HTTPTypes
import Hummingbird
import KeelCore
import KeelProviders
import NIOCore

/// A chat request as one client dialect's route reads it: the few fields the gateway needs, the
/// pass-through body for an upstream of the same dialect, and the dialect used to translate for
/// the others.
protocol ChatIngress: Sendable {
    /// The client dialect, for requests that must be translated.
    associatedtype ClientDialect: ChatClientDialect

    static var dialect: APIDialect { get }
    /// The record's `operation`.
    static var operation: String { get }

    static func parse(_ body: ByteBuffer, maxDepth: Int) throws(KeelError) -> Self

    var body: ByteBuffer { get }
    var model: String { get }
    var stream: Bool { get }
    /// The most tokens the client allows the answer, when it says.
    var maxOutputTokens: Int? { get }
    /// Tools, images and the prompt fingerprint, for the record.
    var traits: PromptTraits { get }

    /// The client's bytes for a same-dialect upstream serving `model`.
    func upstreamBody(model: String) -> ByteBuffer

    /// The pipe for a same-dialect stream.
    func passThroughPipe() -> any StreamPipe

    /// The usage of a complete same-dialect answer; `upstreamBadResponse` when the body is not
    /// a JSON object.
    static func usage(ofComplete body: ByteBuffer) throws(KeelError) -> TokenUsage

    /// Client headers the dialect defines and a same-dialect upstream should receive.
    static func forwardedHeaders(_ request: Request) -> [(name: String, value: String)]
}

extension ChatIngress {
    /// What the request is reserved against token-per-minute limits before its usage is known:
    /// about four bytes of JSON per prompt token, plus the answer's limit (or 1,024).
    var estimatedTokens: Int {
        self.body.readableBytes / 4 + (self.maxOutputTokens ?? 1_024)
    }
}

extension OpenAIChatRequest: ChatIngress {
    typealias ClientDialect = OpenAIChatDialect

    var maxOutputTokens: Int? { self.maxTokens }

    static var dialect: APIDialect { .openAI }
    static var operation: String { "chat.completions" }

    func passThroughPipe() -> any StreamPipe {
        OpenAIPassThroughPipe(dropUsageEvent: !self.clientWantsUsage)
    }

    static func usage(ofComplete body: ByteBuffer) throws(KeelError) -> TokenUsage {
        do {
            return try body.withUnsafeReadableBytes { bytes throws(JSONScanner.SyntaxError) in try OpenAIUsage.fromResponseBody(bytes) } ?? .zero
        } catch {
            throw .upstreamBadResponse()
        }
    }

    static func forwardedHeaders(_ request: Request) -> [(name: String, value: String)] { [] }
}

extension AnthropicMessagesRequest: ChatIngress {
    typealias ClientDialect = AnthropicChatDialect

    var maxOutputTokens: Int? { self.maxTokens }

    static var dialect: APIDialect { .anthropic }
    static var operation: String { "messages" }

    func passThroughPipe() -> any StreamPipe {
        AnthropicPassThroughPipe()
    }

    static func usage(ofComplete body: ByteBuffer) throws(KeelError) -> TokenUsage {
        let usage = body.withUnsafeReadableBytes { bytes -> JSONValue?? in
            guard let index = try? JSONScanner.indexObject(bytes) else { return .none }
            guard let member = index["usage"], member.kind == .object else { return .some(nil) }
            return .some(JSONValue(member, of: index))
        }
        guard let usage else { throw .upstreamBadResponse() }
        return usage.map(AnthropicUsage.decode) ?? .zero
    }

    static func forwardedHeaders(_ request: Request) -> [(name: String, value: String)] {
        var headers: [(name: String, value: String)] = []
        if let version = request.headers[.anthropicVersion] { headers.append(("anthropic-version", version)) }
        for beta in request.headers[values: .anthropicBeta] { headers.append(("anthropic-beta", beta)) }
        return headers
    }
}

extension HTTPField.Name {
    static let anthropicVersion = Self("anthropic-version")!
    static let anthropicBeta = Self("anthropic-beta")!
}
