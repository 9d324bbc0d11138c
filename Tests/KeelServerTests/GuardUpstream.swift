import Foundation
import HTTPTypes
import Hummingbird
import KeelCore
import KeelServer
import KeelTesting
import NIOCore
import Synchronization
import Testing

/// A loopback upstream for the content guard's tests that speaks OpenAI, Anthropic and Gemini,
/// keeps every request body it receives, and answers with the text of the request's last message
/// (an echo), or with ``answer`` when a test sets it. Streams go out in pieces of
/// ``pieceLength`` characters, one event each, 2 ms apart, so placeholders and values are split
/// across events and reads.
final class GuardUpstream: Sendable {
    /// Every request body received, in order.
    let bodies = Mutex<[String]>([])
    /// The text every answer carries instead of the echo.
    let answer = Mutex<String?>(nil)
    /// Characters per stream event (tests may make it the whole answer).
    let pieceLength = Mutex(3)
    /// A provider's own answer to serve instead, verbatim: the stem of the fixtures
    /// `<dialect>-<stem>.json` and `<dialect>-stream-<stem>.sse` in the providers' tests, whose
    /// `<dialect>` is `openai-chat` or `anthropic-messages` (their README names their sources).
    /// Streams go out one event per write, 2 ms apart.
    let fixture = Mutex<String?>(nil)

    var received: [String] { self.bodies.withLock { $0 } }

    /// Providers `echo` (OpenAI), `echo-anthropic`, `echo-gemini` at `port`, and models
    /// `echo-openai`, `echo-anthropic`, `echo-gemini` (chat) and `echo-embed` (embeddings).
    static func configure(_ configuration: inout KeelConfiguration, port: Int) {
        let base = "http://127.0.0.1:\(port)"
        configuration.providers += [
            .init(name: "echo", kind: .openai, baseURL: base + "/v1", apiKey: Secret("sk-echo-upstream")),
            .init(name: "echo-anthropic", kind: .anthropic, baseURL: base, apiKey: Secret("sk-ant-echo-upstream")),
            .init(name: "echo-gemini", kind: .gemini, baseURL: base, apiKey: Secret("gemini-echo-upstream")),
        ]
        configuration.models += [
            .init(name: "echo-openai", routes: [.init(provider: "echo", model: "up")]),
            .init(name: "echo-anthropic", routes: [.init(provider: "echo-anthropic", model: "up")]),
            .init(name: "echo-gemini", routes: [.init(provider: "echo-gemini", model: "up")]),
            .init(name: "echo-embed", routes: [.init(provider: "echo", model: "up-embed")]),
        ]
    }

    /// Runs an upstream and a gateway in front of it (`configure` adds policies).
    static func run(
        configure: @escaping @Sendable (inout KeelConfiguration) -> Void,
        _ body: @Sendable (GuardUpstream, TestGateway) async throws -> Void
    ) async throws {
        let upstream = GuardUpstream()
        let port = AsyncStream<Int>.makeStream()
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                do {
                    try await upstream.serve { port.continuation.yield($0) }
                } catch {
                    port.continuation.finish()
                    throw error
                }
            }
            var ports = port.stream.makeAsyncIterator()
            let upstreamPort = try #require(await ports.next())
            try await TestKeel.run(configure: { configuration in
                Self.configure(&configuration, port: upstreamPort)
                configure(&configuration)
            }) { keel in
                try await body(upstream, keel)
            }
            tasks.cancelAll()
        }
    }

    private func serve(onPort: @escaping @Sendable (Int) async -> Void) async throws {
        let router = Router()
        router.post("v1/chat/completions") { request, _ in try await self.respond(request, dialect: .openAI) }
        router.post("v1/messages") { request, _ in try await self.respond(request, dialect: .anthropic) }
        router.post("v1/messages/count_tokens") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            self.bodies.withLock { $0.append(String(buffer: body)) }
            return Self.json(#"{"input_tokens":5}"#)
        }
        router.post("v1beta/**") { request, _ in try await self.respond(request, dialect: .gemini) }
        router.post("v1/embeddings") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            self.bodies.withLock { $0.append(String(buffer: body)) }
            return Self.json(
                #"{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.5,0.25]}],"model":"up-embed","usage":{"prompt_tokens":4,"total_tokens":4}}"#
            )
        }
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in await onPort(channel.localAddress?.port ?? 0) }
        )
        try await app.runService()
    }

    private func respond(_ request: Request, dialect: APIDialect) async throws -> Response {
        let bytes = try await request.body.collect(upTo: 1 << 20)
        let text = String(buffer: bytes)
        self.bodies.withLock { $0.append(text) }
        let json = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] ?? [:]
        let answer = self.answer.withLock { $0 } ?? Self.lastMessageText(json, dialect: dialect)
        let stream = json["stream"] as? Bool ?? (request.uri.query?.contains("alt=sse") ?? false)
        if let stem = self.fixture.withLock({ $0 }) {
            return try Self.fixtureAnswer(stem, dialect: dialect, stream: stream)
        }
        if stream {
            var pieces: [String] = []
            var rest = Substring(answer)
            let length = self.pieceLength.withLock { $0 }
            while !rest.isEmpty {
                pieces.append(String(rest.prefix(length)))
                rest = rest.dropFirst(length)
            }
            let events = Self.streamEvents(pieces, dialect: dialect)
            return Self.stream(events)
        }
        return Self.json(Self.completeBody(answer, dialect: dialect))
    }

    /// The fixture `stem` of `dialect`'s provider (see ``fixture``).
    static func fixtureAnswer(_ stem: String, dialect: APIDialect, stream: Bool) throws -> Response {
        let prefix = dialect == .anthropic ? "anthropic-messages" : "openai-chat"
        let name = stream ? "\(prefix)-stream-\(stem).sse" : "\(prefix)-\(stem).json"
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("KeelProvidersTests/Fixtures/" + name)
        let text = try String(contentsOf: url, encoding: .utf8)
        guard stream else { return Self.json(text) }
        let events = text.components(separatedBy: "\n\n").filter { !$0.isEmpty }.map { $0 + "\n\n" }
        return Self.stream(events)
    }

    /// An SSE answer of `events`, one write each, 2 ms apart: the gateway reads them as they come,
    /// not as one chunk.
    static func stream(_ events: [String]) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "text/event-stream"],
            body: ResponseBody { writer in
                for event in events {
                    try await writer.write(ByteBuffer(string: event))
                    try await Task.sleep(for: .milliseconds(2))
                }
                try await writer.finish(nil)
            }
        )
    }

    static func json(_ text: String) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: text))
        )
    }

    /// The text of the last message: OpenAI and Anthropic `messages`, Gemini `contents`.
    static func lastMessageText(_ json: [String: Any], dialect: APIDialect) -> String {
        func text(_ content: Any?) -> String {
            if let string = content as? String { return string }
            let parts = content as? [[String: Any]] ?? []
            return parts.compactMap { $0["text"] as? String }.joined()
        }
        switch dialect {
        case .gemini:
            let last = (json["contents"] as? [[String: Any]])?.last
            return text(last?["parts"])
        default:
            let last = (json["messages"] as? [[String: Any]])?.last
            return text(last?["content"])
        }
    }

    static func quoted(_ text: String) -> String {
        JSONWriter.quoted(text)
    }

    static func completeBody(_ answer: String, dialect: APIDialect) -> String {
        switch dialect {
        case .anthropic:
            #"{"id":"msg_echo","type":"message","role":"assistant","model":"up","content":[{"type":"text","text":\#(quoted(answer))}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":5,"output_tokens":7}}"#
        case .gemini:
            #"{"candidates":[{"content":{"parts":[{"text":\#(quoted(answer))}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":5,"candidatesTokenCount":7,"totalTokenCount":12},"modelVersion":"up"}"#
        default:
            #"{"id":"chatcmpl-echo","object":"chat.completion","created":1,"model":"up","choices":[{"index":0,"message":{"role":"assistant","content":\#(quoted(answer))},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":7,"total_tokens":12}}"#
        }
    }

    static func streamEvents(_ pieces: [String], dialect: APIDialect) -> [String] {
        switch dialect {
        case .anthropic:
            var events = [
                "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_echo\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"up\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":5,\"output_tokens\":1}}}\n\n",
                "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n",
            ]
            events += pieces.map {
                "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\(quoted($0))}}\n\n"
            }
            events += [
                "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n",
                "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":\(pieces.count)}}\n\n",
                "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
            ]
            return events
        case .gemini:
            var events = pieces.map {
                "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\(quoted($0))}],\"role\":\"model\"},\"index\":0}],\"modelVersion\":\"up\"}\n\n"
            }
            events.append(
                "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"\"}],\"role\":\"model\"},\"finishReason\":\"STOP\",\"index\":0}],\"usageMetadata\":{\"promptTokenCount\":5,\"candidatesTokenCount\":\(pieces.count),\"totalTokenCount\":\(5 + pieces.count)},\"modelVersion\":\"up\"}\n\n"
            )
            return events
        default:
            let head = #"{"id":"chatcmpl-echo","object":"chat.completion.chunk","created":1,"model":"up","choices":"#
            var events = [
                "data: " + head + #"[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}"#
                    + "\n\n"
            ]
            events += pieces.map {
                "data: " + head + #"[{"index":0,"delta":{"content":\#(quoted($0))},"finish_reason":null}]}"# + "\n\n"
            }
            events.append("data: " + head + #"[{"index":0,"delta":{},"finish_reason":"stop"}]}"# + "\n\n")
            events.append(
                "data: " + head
                    + #"[],"usage":{"prompt_tokens":5,"completion_tokens":\#(pieces.count),"total_tokens":\#(5 + pieces.count)}}"#
                    + "\n\n"
            )
            events.append("data: [DONE]\n\n")
            return events
        }
    }
}
