import HTTPTypes
import Hummingbird
import KeelCore
import KeelProviders
import NIOCore
import NIOHTTP1

/// One POST relayed to an MCP server and its answer relayed back, recorded once it ends.
///
/// A JSON answer is read whole (it is one message or batch); an SSE answer streams to the client
/// as it arrives, its events read on the way for the record (an error answer, a tool's
/// `isError`). A `tools/list` answer held to an agent's tools is read whole and rewritten. The
/// kill switch cancels the exchange at any point: the server's connection is closed, the client
/// gets a JSON-RPC error `agent_suspended` for each request still unanswered, and the record says
/// `cancelled`.
struct MCPExchange: Sendable {
    var record: RequestRecord
    let started: ContinuousClock.Instant
    let server: MCPServerClient
    /// The ids of the requests of the body, answered by Keel when the exchange fails.
    let requestIDs: [JSONValue]
    /// Which listed tools the agent may see; `nil`: the answer goes as it came.
    let filter: (@Sendable (JSONValue) -> Bool)?
    /// Screens a tool's answer (one JSON-RPC message) under the content rules of the caller's
    /// policies; `nil`: no content rule applies.
    let screen: (@Sendable (ByteBuffer) -> ContentGuard.Screening)?
    let trace: RequestTrace?
    let flight: AgentFlight?
    /// Records the exchange (its recorder, its failure rules).
    let gateway: Gateway
    /// Given the digest of the first result once a successful answer is in (a task's tool call,
    /// for the loop detectors); `nil`: results are not digested.
    var onResult: (@Sendable (Int) -> Void)? = nil

    /// An exchange that failed after its record was written: the response to send.
    struct Failure: Error {
        let response: Response
    }

    func run(body: ByteBuffer, forwarded: [(name: String, value: String)]) async throws -> Response {
        var record = self.record
        let server = self.server
        @Sendable func send() async throws -> (head: HTTPResponseHead, body: UpstreamBody) {
            try await server.send(.POST, body: body, forwarded: forwarded)
        }
        let (head, answer): (HTTPResponseHead, UpstreamBody)
        do {
            if let flight = self.flight {
                (head, answer) = try await flight.run(send)
            } else {
                (head, answer) = try await send()
            }
        } catch {
            throw await self.fail(&record, self.flight?.haltError ?? (error as? KeelError) ?? .clientDisconnected)
        }
        record.upstreamMicros = (ContinuousClock.now - self.started).microseconds
        let status = Int(head.status.code)
        let contentType = head.headers.first(name: "content-type") ?? ""
        var headers = HTTPFields()
        headers[.keelRequestID] = record.id.rawValue
        headers[.keelProvider] = server.name
        if let session = head.headers.first(name: "mcp-session-id") { headers[.mcpSessionID] = session }
        if !contentType.isEmpty { headers[.contentType] = contentType }
        record.status = status

        if status >= 400 {
            let text = await answer.errorBody() ?? ByteBuffer()
            if status == 401 || status == 403 {
                // The server refused Keel's own credentials: the client's token is not the
                // problem, and it must not be asked for another.
                throw await self.fail(
                    &record,
                    .upstreamRejected(
                        status: status,
                        message: "The MCP server '\(server.name)' refused Keel's credentials for it."
                    )
                )
            }
            record.outcome = .error
            record.errorClass = status >= 500 ? "upstream_unavailable" : "upstream_rejected"
            await self.finish(record)
            return Response(status: .init(code: status), headers: headers, body: .init(byteBuffer: text))
        }
        let sse = contentType.lowercased().hasPrefix("text/event-stream")
        if sse && self.filter == nil && self.screen == nil {
            record.stream = true
            return Response(status: .init(code: status), headers: headers, body: self.relay(answer, record: record))
        }
        // Rewritten or screened: read whole (a listing, a tool's result), each message in turn.
        var whole = try await self.collect(answer, record: &record)
        var verdict = GuardVerdict()
        var refusal: KeelError?
        let rewrite = { (message: ByteBuffer) -> ByteBuffer? in
            var message = message
            var changed = false
            if let filter = self.filter, let value = try? JSONValue(parsing: message),
                let filtered = MCPAnswers.filtered(value, keep: filter)
            {
                message = ByteBuffer(string: filtered.jsonText)
                changed = true
            }
            if let screen = self.screen {
                let screening = screen(message)
                verdict.merge(screening.verdict)
                if refusal == nil { refusal = screening.refusal }
                if let redacted = screening.body {
                    message = redacted
                    changed = true
                }
            }
            return changed ? message : nil
        }
        if sse {
            whole = MCPAnswers.rewrittenEvents(whole, rewrite)
        } else if let rewritten = rewrite(whole) {
            whole = rewritten
        }
        if !verdict.isEmpty { record.addAnswerVerdict(verdict) }
        if let refusal {
            // A tool's answer carries what a content rule blocks (an injection): not released.
            throw await self.fail(&record, refusal)
        }
        var observer = MCPAnswerObserver(digestsResults: self.onResult != nil)
        observer.observe(whole, sse: sse)
        observer.apply(to: &record)
        if record.outcome == .success, let digest = observer.resultDigest { self.onResult?(digest) }
        await self.finish(record)
        return Response(status: .init(code: status), headers: headers, body: .init(byteBuffer: whole))
    }

    /// Streams an SSE answer to the client, reading its events for the record.
    private func relay(_ answer: UpstreamBody, record: RequestRecord) -> ResponseBody {
        ResponseBody { writer in
            var record = record
            let haltToken = self.flight.map { flight in flight.onHalt { answer.abort() } }
            defer { if let haltToken { self.flight?.removeOnHalt(haltToken) } }
            var observer = MCPAnswerObserver(digestsResults: self.onResult != nil)
            var framer = SSEEventFramer()
            var iterator = answer.makeAsyncIterator()
            var failure: KeelError?
            var clientGone = false
            while true {
                let chunk: ByteBuffer?
                do {
                    chunk = try await iterator.next()
                } catch {
                    failure =
                        UpstreamTransportError.classify(error).map {
                            $0.code == .upstreamTimeout ? $0 : .streamInterrupted()
                        } ?? .clientDisconnected
                    break
                }
                guard let chunk else { break }
                _ = framer.feed(chunk) { event in
                    observer.observeEvent(event.data)
                    return true
                }
                do {
                    try await writer.write(chunk)
                } catch {
                    clientGone = true
                    break
                }
            }
            let halt = self.flight?.haltError
            if let halt { failure = halt }
            observer.apply(to: &record)
            if failure == nil, !clientGone, record.outcome == .success, let digest = observer.resultDigest {
                self.onResult?(digest)
            }
            record.totalMicros = (ContinuousClock.now - self.started).microseconds
            if clientGone || failure?.code == .clientDisconnected {
                record.outcome = .cancelled
                record.errorClass = KeelError.clientDisconnected.metricLabel
            } else if let failure {
                record.outcome = halt != nil ? .cancelled : .interrupted
                record.errorClass = failure.metricLabel
                // Each request still unanswered gets Keel's error, so the agent is not left waiting.
                for id in self.requestIDs where !observer.answered.contains(id) {
                    let error = MCPMessage.errorResponse(
                        id: id,
                        code: MCPMessage.errorCode(for: failure),
                        message: failure.message,
                        data: [.init(key: "type", value: .string(failure.code.rawValue))]
                    )
                    try? await writer.write(ByteBuffer(string: "event: message\ndata: " + error + "\n\n"))
                }
            }
            try? await writer.finish(nil)
            self.trace?.end(record)
            await self.gateway.recorder.record(record)
        }
    }

    private func collect(_ answer: UpstreamBody, record: inout RequestRecord) async throws -> ByteBuffer {
        let haltToken = self.flight.map { flight in flight.onHalt { answer.abort() } }
        defer { if let haltToken { self.flight?.removeOnHalt(haltToken) } }
        do {
            return try await answer.collect(upTo: Self.maxCollected)
        } catch is UpstreamBody.BodyTooLarge {
            throw await self.fail(&record, .upstreamBadResponse("The MCP server's answer is larger than 64 MiB."))
        } catch {
            let failure =
                self.flight?.haltError ?? UpstreamTransportError.classify(error).map {
                    $0.code == .upstreamTimeout ? $0 : .streamInterrupted()
                }
                ?? .clientDisconnected
            throw await self.fail(&record, failure)
        }
    }

    static let maxCollected = MCPGateway.maxCollected

    /// Records `error` and returns the response the client gets for it.
    private func fail(_ record: inout RequestRecord, _ error: KeelError) async -> Failure {
        await self.gateway.recordFailure(
            &record,
            error: error,
            started: self.started,
            trace: self.trace,
            inFlight: self.flight?.haltError != nil
        )
        return Failure(response: MCPGateway.errorResponse(error, ids: self.requestIDs, requestID: record.id.rawValue))
    }

    private func finish(_ record: RequestRecord) async {
        var record = record
        record.totalMicros = (ContinuousClock.now - self.started).microseconds
        self.trace?.end(record)
        await self.gateway.recorder.record(record)
    }
}

/// What an MCP server's answer said, for its record: the ids it answered, and whether one was a
/// JSON-RPC error or a tool result marked `isError`; with `digestsResults`, a digest of the first
/// result (for the loop detectors).
struct MCPAnswerObserver {
    var answered: [JSONValue] = []
    var errorClass: String?
    var digestsResults = false
    /// The digest of the first result answered (Swift's `Hasher`: within this process only).
    var resultDigest: Int?

    /// Reads a JSON answer (`sse` false: one message or a batch) or a whole SSE body.
    mutating func observe(_ bytes: ByteBuffer, sse: Bool) {
        if sse {
            var framer = SSEEventFramer()
            var events: [[UInt8]] = []
            let collect: SSEEventFramer.EventHandler = { event in
                events.append(Array(event.data))
                return true
            }
            _ = framer.feed(bytes, onEvent: collect)
            _ = framer.finish(onEvent: collect)
            for event in events { event.withUnsafeBytes { self.observeEvent($0) } }
        } else {
            bytes.withUnsafeReadableBytes { bytes in
                // An answer that names neither member is a plain result: it is not parsed into a
                // tree (a tool's result can be large), and a JSON answer's ids are not needed; its
                // result's bytes are digested in place when asked.
                guard
                    ByteSearch.firstIndex(of: "\"error\"", in: bytes) != nil
                        || ByteSearch.firstIndex(of: "\"isError\"", in: bytes) != nil
                else {
                    if self.digestsResults, let index = try? JSONScanner.indexObject(bytes),
                        let result = index["result"]
                    {
                        var hasher = Hasher()
                        hasher.combine(bytes: index.slice(result))
                        self.resultDigest = hasher.finalize()
                    }
                    return
                }
                self.observeEvent(bytes)
            }
        }
    }

    /// Reads one message (or batch) of an answer.
    mutating func observeEvent(_ data: UnsafeRawBufferPointer) {
        guard let value = try? JSONValue(parsing: data) else { return }
        for message in value.array ?? [value] {
            guard message["method"] == nil, let id = message["id"], !id.isNull else { continue }
            self.answered.append(id)
            if self.digestsResults, self.resultDigest == nil, let result = message["result"] {
                var hasher = Hasher()
                hasher.combine(result.jsonText)
                self.resultDigest = hasher.finalize()
            }
            if message["error"] != nil {
                self.errorClass = "mcp_error"
            } else if message["result"]?["isError"]?.bool == true, self.errorClass == nil {
                self.errorClass = "tool_error"
            }
        }
    }

    func apply(to record: inout RequestRecord) {
        if let errorClass = self.errorClass {
            record.outcome = .error
            record.errorClass = errorClass
        } else {
            record.outcome = .success
        }
    }
}

/// `tools/list` answers rewritten to show only the tools an agent may use.
enum MCPAnswers {
    /// A JSON answer (a message or a batch) with only the tools `keep` says yes to; `nil` when
    /// nothing was taken out.
    static func filtered(_ value: JSONValue, keep: (JSONValue) -> Bool) -> JSONValue? {
        if let batch = value.array {
            var changed = false
            let messages = batch.map { message in
                guard let filtered = MCPToolList.filtered(message, keep: keep) else { return message }
                changed = true
                return filtered
            }
            return changed ? .array(messages) : nil
        }
        return MCPToolList.filtered(value, keep: keep)
    }

    /// An SSE answer with each event's message through `rewrite` (`nil`: unchanged); events keep
    /// their name.
    static func rewrittenEvents(_ bytes: ByteBuffer, _ rewrite: (ByteBuffer) -> ByteBuffer?) -> ByteBuffer {
        var framer = SSEEventFramer()
        var events: [(name: String?, data: [UInt8])] = []
        let collect: SSEEventFramer.EventHandler = { event in
            events.append((event.name.map { String(decoding: $0, as: UTF8.self) }, Array(event.data)))
            return true
        }
        _ = framer.feed(bytes, onEvent: collect)
        _ = framer.finish(onEvent: collect)
        var output = ByteBuffer()
        for event in events {
            if let name = event.name { output.writeString("event: \(name)\n") }
            let original = ByteBuffer(bytes: event.data)
            let data = String(buffer: rewrite(original) ?? original)
            for line in data.split(separator: "\n", omittingEmptySubsequences: false) {
                output.writeString("data: \(line)\n")
            }
            output.writeString("\n")
        }
        return output
    }
}
