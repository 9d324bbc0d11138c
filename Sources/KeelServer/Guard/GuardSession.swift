import KeelCore
import NIOCore

/// What a request's answer needs from the content guard: the types to scan it for (those the
/// rules block or redact), the placeholders handed out for the request, and the values to put
/// back (`restore: true`).
///
/// The answer is scanned as the upstream wrote it, before restoring: the request's own
/// placeholders are no finding, and a value the model produced itself (a credential it
/// echoes) is redacted with the next number of its type, which is never restored. Only then are
/// the request's restorable placeholders turned back into the client's values.
///
/// It lives as long as the request and holds the values it hides: never logged or stored.
struct GuardSession: Sendable {
    let policy: EffectivePolicy
    /// Scans answers for the types that block or redact; `nil` when no rule does.
    let answerScanner: ContentScanner?
    /// Every placeholder of the request.
    let map: RedactionMap
    /// The placeholders to turn back into values in the answer; `nil` when none.
    let restore: RedactionMap?
    let counters: GuardCounters

    /// The types that end an answer.
    var block: GuardTypeSet { self.policy.rules.block }

    /// A complete answer in `dialect`, screened and restored; the refusal when it carries a
    /// blocking finding. `verdict` gets the answer's findings.
    func screenComplete(_ body: ByteBuffer, dialect: APIDialect, verdict: inout GuardVerdict) -> Result<ByteBuffer, KeelError> {
        var map = self.map
        var edits = ByteEdits()
        let outcome = body.withUnsafeReadableBytes { bytes -> KeelError? in
            let ranges = (try? GuardText.answerTexts(in: bytes, dialect: dialect)) ?? []
            for range in ranges {
                guard let text = JSONScanner.decodeString(bytes, range) else { continue }
                var output = text
                if let scanner = self.answerScanner {
                    let release = AnswerTextGuard.screen(text, scanner: scanner, block: self.block, map: &map)
                    if !release.blocked.isEmpty {
                        self.count(release.blocked, action: .block, verdict: &verdict)
                        return self.policy.contentRefusal(types: release.blocked, answer: true)
                    }
                    self.count(release.redacted, action: .redact, verdict: &verdict)
                    output = release.text
                }
                if let restore = self.restore { output = restore.restore(output) }
                if output != text { edits.replace(range, with: JSONWriter.quoted(output)) }
            }
            return nil
        }
        if let outcome { return .failure(outcome) }
        return .success(edits.applied(to: body))
    }

    /// Counts answer findings on the record's verdict and in `/metrics`.
    func count(_ types: [GuardFindingType], action: ContentRule.Action, verdict: inout GuardVerdict) {
        for type in types {
            verdict.count(type, action: action, answer: true)
            self.counters.count(type.rawValue, action: action.rawValue, source: .answer)
        }
    }

    /// `start`'s stream, screened and restored on its way to the client. When what was read
    /// before the first token already carries a blocking finding, the pipe's `refusal` is set
    /// at once (nothing has reached the client yet).
    func guardStream(_ start: StreamStart, dialect: APIDialect) -> StreamStart {
        var pipe = GuardedStreamPipe(inner: start.pipe, dialect: dialect, session: self)
        let pending = pipe.screen(start.pending)
        return StreamStart(pending: pending, pipe: pipe, rest: start.rest, contentAt: start.contentAt)
    }
}

extension GuardText {
    /// The answer texts of a complete body in `dialect`: OpenAI `choices[].message.content`,
    /// Anthropic `content[]` text blocks.
    static func answerTexts(in bytes: UnsafeRawBufferPointer, dialect: APIDialect) throws(JSONScanner.SyntaxError) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var reader = JSONReader(bytes)
        try reader.enterObject()
        while let key = try reader.nextMember() {
            if dialect == .openAI, reader.key(key, is: "choices") {
                try reader.forEachElement { reader throws(JSONScanner.SyntaxError) in
                    guard try reader.enterObjectIfAny() else { return }
                    while let key = try reader.nextMember() {
                        guard reader.key(key, is: "message") else {
                            try reader.skipValue()
                            continue
                        }
                        guard try reader.enterObjectIfAny() else { continue }
                        while let key = try reader.nextMember() {
                            if reader.key(key, is: "content"), try reader.peek() == .string {
                                ranges.append(try reader.skipValue())
                            } else {
                                try reader.skipValue()
                            }
                        }
                    }
                }
            } else if dialect == .anthropic, reader.key(key, is: "content") {
                try reader.forEachElement { reader throws(JSONScanner.SyntaxError) in
                    if let text = try Self.textPart(&reader, accepting: ["text"]) { ranges.append(text) }
                }
            } else {
                try reader.skipValue()
            }
        }
        return ranges
    }
}
