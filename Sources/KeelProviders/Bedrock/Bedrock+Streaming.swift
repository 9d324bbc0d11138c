public import KeelCore
public import NIOCore

/// Reads a Bedrock `converse-stream` answer (`application/vnd.amazon.eventstream`) into canonical
/// events.
///
/// Each event-stream message with `:message-type` `event` names its event in `:event-type` and
/// carries that event's JSON as payload: `messageStart` → ``ChatStreamEvent/start(id:model:)``;
/// `contentBlockStart` with `toolUse` → ``ChatStreamEvent/toolCallStart(index:id:name:)``;
/// `contentBlockDelta` → text, tool-input, reasoning text, signature or redacted-reasoning events;
/// `messageStop` → ``ChatStreamEvent/stop(_:stopSequence:)``; `metadata` →
/// ``ChatStreamEvent/usage(_:)``, which completes the stream when it follows `messageStop`.
/// An `exception` message (`:exception-type`, e.g. `throttlingException`) or an `error` message
/// ends the stream with ``ChatStreamEvent/error(_:)``. A checksum or framing fault throws
/// `upstreamBadResponse`.
public struct BedrockStreamDecoder: ChatStreamDecoder {
    private var framing = AWSEventStreamDecoder()
    private var started = false
    private var stopped = false
    private var failed = false
    /// Tool-call numbers by Converse `contentBlockIndex`.
    private var toolIndexByBlock: [Int: Int] = [:]

    public private(set) var isComplete = false

    public init() {}

    public mutating func decode(_ chunk: ByteBuffer) throws(KeelError) -> [ChatStreamEvent] {
        let messages: [AWSEventStreamDecoder.Message]
        do {
            messages = try self.framing.messages(from: chunk)
        } catch {
            throw KeelError.upstreamBadResponse("The Bedrock upstream sent a corrupt event stream (\(error)).")
        }
        var events: [ChatStreamEvent] = []
        for message in messages where !self.failed {
            try self.handle(message, into: &events)
        }
        return events
    }

    private mutating func handle(_ message: AWSEventStreamDecoder.Message, into events: inout [ChatStreamEvent]) throws(KeelError) {
        switch message.headers[BedrockWire.Header.messageType] {
        case "event":
            break
        case "exception":
            let payload = try? JSONValue(parsing: message.payload)
            let type = message.headers[BedrockWire.Header.exceptionType] ?? "exception"
            events.append(.error(BedrockFailure.error(exceptionType: type, message: payload?["message"]?.string ?? payload?["Message"]?.string)))
            self.failed = true
            self.isComplete = true
            return
        case "error":
            let code = message.headers[BedrockWire.Header.errorCode] ?? "error"
            events.append(.error(BedrockFailure.error(exceptionType: code, message: message.headers[BedrockWire.Header.errorMessage])))
            self.failed = true
            self.isComplete = true
            return
        default:
            throw KeelError.upstreamBadResponse("The Bedrock upstream sent an event-stream message without a known type.")
        }
        let payload: JSONValue
        do {
            payload = try JSONValue(parsing: message.payload)
        } catch {
            throw KeelError.upstreamBadResponse("The Bedrock upstream sent a stream event that is not JSON.")
        }
        switch message.headers[BedrockWire.Header.eventType] {
        case "messageStart":
            if !self.started {
                self.started = true
                events.append(.start(id: BedrockWire.newMessageID(), model: ""))
            }
        case "contentBlockStart":
            if let toolUse = payload["start"]?["toolUse"] {
                let index = self.toolIndexByBlock.count
                self.toolIndexByBlock[payload["contentBlockIndex"]?.int ?? index] = index
                events.append(.toolCallStart(index: index, id: toolUse["toolUseId"]?.string ?? "", name: toolUse["name"]?.string ?? ""))
            }
        case "contentBlockDelta":
            guard let delta = payload["delta"] else { return }
            if let text = delta["text"]?.string {
                events.append(.textDelta(text))
            } else if let input = delta["toolUse"]?["input"]?.string {
                guard let block = payload["contentBlockIndex"]?.int, let index = self.toolIndexByBlock[block] else {
                    throw KeelError.upstreamBadResponse("The Bedrock upstream sent tool input for a block it did not start.")
                }
                events.append(.toolCallArgumentsDelta(index: index, input))
            } else if let reasoning = delta["reasoningContent"] {
                if let text = reasoning["text"]?.string {
                    events.append(.thinkingDelta(text))
                } else if let signature = reasoning["signature"]?.string {
                    events.append(.thinkingSignature(signature))
                } else if let redacted = reasoning["redactedContent"]?.string {
                    events.append(.redactedThinking(redacted))
                }
            }
        case "messageStop":
            if !self.stopped {
                self.stopped = true
                let stopSequence = payload["additionalModelResponseFields"]?["stop_sequence"]?.string
                events.append(.stop(BedrockChatDialect.stopReason(payload["stopReason"]?.string), stopSequence: stopSequence))
            }
        case "metadata":
            if let usage = payload["usage"] { events.append(.usage(BedrockChatDialect.usage(from: usage))) }
            if self.stopped { self.isComplete = true }
        default:
            // contentBlockStop, and events added to the API later.
            return
        }
    }
}
