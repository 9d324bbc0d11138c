import KeelCore
import NIOCore

/// A stream pipe that screens the answer text of another pipe's output (the client's dialect,
/// passed through or translated) and restores the request's placeholders in it, event by event.
///
/// Each text run (an OpenAI choice's `delta.content`, an Anthropic text block's `text_delta`) goes
/// through an ``AnswerTextGuard`` and a `StreamingRestorer`; an event whose text changed is
/// re-written with only that string replaced, every other event passes as it came. What they
/// hold back (the word being written, the start of a placeholder) goes out with the next event,
/// or, when the run ends (`finish_reason`, `content_block_stop`, `[DONE]`, `message_stop`), as
/// one more text event of the same shape just before the event that ends it. A blocking finding
/// drops the event that carries it and everything after it, and sets ``refusal``: the relay then
/// ends the stream with its error event. Usage and accounting are the inner pipe's, untouched.
struct GuardedStreamPipe: StreamPipe {
    private var inner: any StreamPipe
    private let dialect: APIDialect
    private let session: GuardSession
    /// The request's placeholders, and those the answer adds.
    private var map: RedactionMap
    private var framer = SSEEventFramer()
    private var runs: [Int: Run] = [:]
    /// What the guard itself blocked.
    private var blocked: KeelError?
    /// Its own refusal, or the inner pipe's (an agent's tool call outside its scope).
    var refusal: KeelError? { self.blocked ?? self.inner.refusal }
    private var verdict = GuardVerdict()

    /// One text run of the answer.
    private struct Run: Sendable {
        var text: AnswerTextGuard?
        var restorer: StreamingRestorer?
        /// OpenAI: the last event that carried text in this run, and where its content string
        /// lies, to write held text in an event of the same shape.
        var template: [UInt8] = []
        var contentRange: Range<Int>?
    }

    private struct Event {
        var name: [UInt8]?
        var data: [UInt8]
    }

    init(inner: any StreamPipe, dialect: APIDialect, session: GuardSession) {
        self.inner = inner
        self.dialect = dialect
        self.session = session
        self.map = session.map
    }

    var accounting: StreamAccounting { self.inner.accounting }

    var heldCalls: [StreamedToolCalls.Call] { self.inner.heldCalls }

    mutating func releaseHeld() -> ByteBuffer {
        self.screen(self.inner.releaseHeld(), final: true)
    }

    var guardVerdict: GuardVerdict? { self.verdict.isEmpty ? nil : self.verdict }

    mutating func process(_ chunk: ByteBuffer) -> ByteBuffer {
        let output = self.inner.process(chunk)
        return self.screen(output)
    }

    mutating func end() -> ByteBuffer {
        self.screen(self.inner.end(), final: true)
    }

    mutating func finish() -> ByteBuffer {
        var output = self.screen(self.inner.finish(), final: true)
        self.flushAll(into: &output)
        return output
    }

    mutating func failure(_ error: KeelError) -> ByteBuffer {
        var output = ByteBuffer()
        if self.refusal == nil { self.flushAll(into: &output) }
        var failure = self.inner.failure(error)
        output.writeBuffer(&failure)
        return output
    }

    /// The client's bytes for `bytes`, whole events of the inner pipe's output.
    mutating func screen(_ bytes: ByteBuffer, final: Bool = false) -> ByteBuffer {
        var output = ByteBuffer()
        guard self.refusal == nil else { return output }
        var events: [Event] = []
        let collect: SSEEventFramer.EventHandler = { event in
            events.append(Event(name: event.name.map { Array($0) }, data: Array(event.data)))
            return true
        }
        if bytes.readableBytes > 0 { _ = self.framer.feed(bytes, onEvent: collect) }
        if final { _ = self.framer.finish(onEvent: collect) }
        for event in events {
            guard self.refusal == nil else { break }
            switch self.dialect {
            case .anthropic: self.anthropicEvent(event, into: &output)
            default: self.openAIEvent(event, into: &output)
            }
        }
        return output
    }

    // MARK: OpenAI

    private mutating func openAIEvent(_ event: Event, into output: inout ByteBuffer) {
        if event.data.elementsEqual("[DONE]".utf8) {
            self.flushAll(into: &output)
            return Self.write(event, into: &output)
        }
        guard let choices = event.data.withUnsafeBytes({ try? Self.openAIChoices($0) }), !choices.isEmpty else {
            // A usage chunk (no choices) or an error: whatever is held goes first.
            self.flushAll(into: &output)
            return Self.write(event, into: &output)
        }
        var edits = ByteEdits()
        var before = ByteBuffer()
        for choice in choices {
            var text = ""
            var original: String?
            if let content = choice.content {
                let delta = event.data.withUnsafeBytes { JSONScanner.decodeString($0, content) } ?? ""
                original = delta
                var run = self.runs[choice.index] ?? self.newRun()
                run.template = event.data
                run.contentRange = content
                self.runs[choice.index] = run
                guard let released = self.feed(delta, run: choice.index) else { return }
                text = released
            }
            if choice.finishes {
                guard let rest = self.flush(run: choice.index) else { return }
                if original != nil {
                    text += rest
                } else if !rest.isEmpty, let held = self.openAITextEvent(rest, run: choice.index) {
                    before.writeImmutableBuffer(held)
                }
            }
            if let content = choice.content, text != original { edits.replace(content, with: JSONWriter.quoted(text)) }
        }
        output.writeBuffer(&before)
        var data = event.data
        if !edits.isEmpty { data = Array(buffer: edits.applied(to: ByteBuffer(bytes: event.data))) }
        Self.write(Event(name: event.name, data: data), into: &output)
    }

    private struct Choice {
        var index: Int
        var content: Range<Int>?
        var finishes: Bool
    }

    /// The choices of a chat-completion chunk: their index, where `delta.content` lies when it is
    /// a string, and whether `finish_reason` is set.
    private static func openAIChoices(_ bytes: UnsafeRawBufferPointer) throws(JSONScanner.SyntaxError) -> [Choice] {
        var choices: [Choice] = []
        var reader = JSONReader(bytes)
        try reader.enterObject()
        while let key = try reader.nextMember() {
            guard reader.key(key, is: "choices") else {
                try reader.skipValue()
                continue
            }
            try reader.forEachElement { reader throws(JSONScanner.SyntaxError) in
                guard try reader.enterObjectIfAny() else { return }
                var choice = Choice(index: 0, content: nil, finishes: false)
                while let key = try reader.nextMember() {
                    if reader.key(key, is: "index") {
                        choice.index = try reader.readInt() ?? 0
                    } else if reader.key(key, is: "finish_reason") {
                        choice.finishes = try reader.peek() != .null
                        try reader.skipValue()
                    } else if reader.key(key, is: "delta"), try reader.enterObjectIfAny() {
                        while let key = try reader.nextMember() {
                            if reader.key(key, is: "content"), try reader.peek() == .string {
                                choice.content = try reader.skipValue()
                            } else {
                                try reader.skipValue()
                            }
                        }
                    } else if !reader.key(key, is: "delta") {  // a delta that is no object was stepped over
                        try reader.skipValue()
                    }
                }
                choices.append(choice)
            }
        }
        return choices
    }

    /// Held text of `run` as a chunk shaped like the run's last text chunk.
    private func openAITextEvent(_ text: String, run index: Int) -> ByteBuffer? {
        guard let run = self.runs[index], let range = run.contentRange else { return nil }
        var edits = ByteEdits()
        edits.replace(range, with: JSONWriter.quoted(text))
        let data = edits.applied(to: ByteBuffer(bytes: run.template))
        var output = ByteBuffer()
        Self.write(Event(name: nil, data: Array(buffer: data)), into: &output)
        return output
    }

    // MARK: Anthropic

    private mutating func anthropicEvent(_ event: Event, into output: inout ByteBuffer) {
        let name = event.name.map { String(decoding: $0, as: UTF8.self) } ?? ""
        switch name {
        case "content_block_delta":
            guard let delta = event.data.withUnsafeBytes({ try? Self.anthropicTextDelta($0) }), let range = delta.text
            else {
                return Self.write(event, into: &output)
            }
            let original = event.data.withUnsafeBytes { JSONScanner.decodeString($0, range) } ?? ""
            guard let text = self.feed(original, run: delta.index) else { return }
            guard text != original else { return Self.write(event, into: &output) }
            var edits = ByteEdits()
            edits.replace(range, with: JSONWriter.quoted(text))
            Self.write(
                Event(name: event.name, data: Array(buffer: edits.applied(to: ByteBuffer(bytes: event.data)))),
                into: &output
            )
        case "content_block_stop":
            let index = event.data.withUnsafeBytes { try? Self.anthropicTextDelta($0) }?.index ?? 0
            guard let rest = self.flush(run: index) else { return }
            if !rest.isEmpty { Self.write(Self.anthropicTextEvent(rest, index: index), into: &output) }
            Self.write(event, into: &output)
        case "message_delta", "message_stop", "error":
            self.flushAll(into: &output)
            Self.write(event, into: &output)
        default:
            Self.write(event, into: &output)
        }
    }

    /// The block index of an Anthropic event, and where its `delta.text` lies when the delta is
    /// a `text_delta`.
    private static func anthropicTextDelta(
        _ bytes: UnsafeRawBufferPointer
    ) throws(JSONScanner.SyntaxError) -> (index: Int, text: Range<Int>?) {
        var index = 0
        var text: Range<Int>?
        var reader = JSONReader(bytes)
        try reader.enterObject()
        while let key = try reader.nextMember() {
            if reader.key(key, is: "index") {
                index = try reader.readInt() ?? 0
            } else if reader.key(key, is: "delta") {
                text = try Self.textPart(&reader)
            } else {
                try reader.skipValue()
            }
        }
        return (index, text)
    }

    private static func textPart(_ reader: inout JSONReader) throws(JSONScanner.SyntaxError) -> Range<Int>? {
        try GuardText.textPart(&reader, accepting: ["text_delta"])
    }

    private static func anthropicTextEvent(_ text: String, index: Int) -> Event {
        var data = #"{"type":"content_block_delta","index":\#(index),"delta":{"type":"text_delta","text":"#
        JSONWriter.appendString(text, to: &data)
        data += "}}"
        return Event(name: Array("content_block_delta".utf8), data: Array(data.utf8))
    }

    // MARK: Runs

    private func newRun() -> Run {
        Run(
            text: self.session.answerScanner.map { AnswerTextGuard(scanner: $0, block: self.session.block) },
            restorer: self.session.restore.map { StreamingRestorer(map: $0) }
        )
    }

    /// The text of `run` that can go out after `piece`; `nil` when it blocks (``refusal`` is set).
    private mutating func feed(_ piece: String, run index: Int) -> String? {
        var run = self.runs[index] ?? self.newRun()
        defer { self.runs[index] = run }
        var text = piece
        if var guarded = run.text {
            let release = guarded.feed(piece, map: &self.map)
            run.text = guarded
            guard self.accept(release) else { return nil }
            text = release.text
        }
        if var restorer = run.restorer {
            text = restorer.restore(text)
            run.restorer = restorer
        }
        return text
    }

    /// Everything `run` still holds, its text ended; `nil` when it blocks.
    private mutating func flush(run index: Int) -> String? {
        guard var run = self.runs[index] else { return "" }
        defer { self.runs[index] = run }
        var text = ""
        if var guarded = run.text {
            let release = guarded.finish(map: &self.map)
            run.text = guarded
            guard self.accept(release) else { return nil }
            text = release.text
        }
        if var restorer = run.restorer {
            text = restorer.restore(text) + restorer.finish()
            run.restorer = restorer
        }
        return text
    }

    /// Writes the held text of every run (OpenAI runs as chunks of their shape, Anthropic runs
    /// as text deltas).
    private mutating func flushAll(into output: inout ByteBuffer) {
        for index in self.runs.keys.sorted() {
            guard self.refusal == nil, let rest = self.flush(run: index), !rest.isEmpty else { continue }
            if self.dialect == .anthropic {
                Self.write(Self.anthropicTextEvent(rest, index: index), into: &output)
            } else if let event = self.openAITextEvent(rest, run: index) {
                output.writeImmutableBuffer(event)
            }
        }
    }

    /// Counts a release's findings; `false` (and ``refusal`` set) when it blocks.
    private mutating func accept(_ release: AnswerTextGuard.Release) -> Bool {
        if !release.blocked.isEmpty {
            self.session.count(release.blocked, action: .block, verdict: &self.verdict)
            self.blocked = self.session.policy.contentRefusal(types: release.blocked, answer: true)
            return false
        }
        self.session.count(release.redacted, action: .redact, verdict: &self.verdict)
        return true
    }

    private static func write(_ event: Event, into output: inout ByteBuffer) {
        if let name = event.name {
            output.writeString("event: ")
            output.writeBytes(name)
            output.writeString("\n")
        }
        // A data value holding line feeds goes out as several `data:` lines, as SSE joins them.
        for line in event.data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            output.writeString("data: ")
            output.writeBytes(line)
            output.writeString("\n")
        }
        output.writeString("\n")
    }
}
