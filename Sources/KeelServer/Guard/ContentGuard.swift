import KeelCore
import NIOCore
import Synchronization

/// The `Guard` stage: screens a request's content under the content rules of the policies that
/// apply to it (``GuardRules``), after admission and before routing.
///
/// Only what the rules need is scanned: the types they name, and injection only in the content
/// of the roles they name. A string without escapes is scanned in place, in the request's own
/// bytes; the body is re-encoded only when a value was redacted, by replacing the JSON strings
/// that changed. With no content rule the stage is never called.
///
/// One instance serves every request; it holds the scanners (one per combination of types and
/// injection scoring the policies produce, built on first use) and the `/metrics` counters.
final class ContentGuard: Sendable {
    /// The injection score at or above which content is flagged (`guard.injection_threshold`).
    let injectionThreshold: Double
    let counters = GuardCounters()
    private let scanners = Mutex<[UInt64: ContentScanner]>([:])

    init(injectionThreshold: Double = 0.5) {
        self.injectionThreshold = injectionThreshold
    }

    /// A scanner for `types`, scoring injection when `injection`.
    func scanner(types: GuardTypeSet, injection: Bool) -> ContentScanner {
        let key = UInt64(types.rawValue) << 1 | (injection ? 1 : 0)
        if let scanner = self.scanners.withLock({ $0[key] }) { return scanner }
        let all = types.types
        let scanner = ContentScanner(
            configuration: .init(
                personalData: all.filter { !$0.isSecret },
                secrets: all.filter(\.isSecret),
                injection: injection,
                injectionThreshold: self.injectionThreshold
            )
        )
        self.scanners.withLock { $0[key] = scanner }
        return scanner
    }

    /// What screening a request decided.
    struct Screening: Sendable {
        var verdict = GuardVerdict()
        /// The request is refused (a blocking finding or injection).
        var refusal: KeelError?
        /// The body with its redacted strings replaced; `nil` when nothing changed.
        var body: ByteBuffer?
        /// What the answer needs (answer rules, values to restore); `nil` when nothing.
        var session: GuardSession?
    }

    /// Screens `body`, of `shape`, under `policy`'s content rules. With `answers`, a session
    /// carries what the answer needs: the types to scan it for, and the values to restore.
    func screen(
        _ body: ByteBuffer,
        shape: GuardText.Shape,
        policy: EffectivePolicy,
        answers: Bool,
        maxDepth: Int
    ) -> Screening {
        let rules = policy.rules
        var screening = Screening()
        var map = RedactionMap()
        var restore = RedactionMap()
        var edits = ByteEdits()
        var blocked: [GuardFindingType] = []
        var injectionRefusal: KeelError?
        var patternRefusal: KeelError?
        body.withUnsafeReadableBytes { bytes in
            // The ingress validated the body; a text the walk cannot reach is not sent either.
            let texts = (try? GuardText.texts(in: bytes, shape: shape, maxDepth: maxDepth)) ?? []
            for text in texts {
                if !rules.blockedPatterns.isEmpty, patternRefusal == nil,
                    let text = JSONScanner.decodeString(bytes, text.range), let found = rules.blockedPattern(in: text)
                {
                    patternRefusal = .contentPolicyViolation(
                        "Policy '\(found.policy)' blocks prompts containing '\(found.pattern)'.",
                        param: shape == .openAIEmbeddings ? "input" : "messages"
                    )
                }
                let injection = shape == .openAIEmbeddings ? nil : rules.injectionAction(for: text.role)
                guard !rules.scanned.isEmpty || injection != nil else { continue }
                let scanner = self.scanner(types: rules.scanned, injection: injection != nil)
                let raw = UnsafeRawBufferPointer(
                    rebasing: bytes[(text.range.lowerBound + 1)..<(text.range.upperBound - 1)]
                )
                var decoded: String?
                let scan: ContentScan
                if raw.contains(UInt8(ascii: "\\")) {
                    let string = JSONScanner.decodeString(bytes, text.range) ?? ""
                    decoded = string
                    scan = scanner.scan(string, role: text.role)
                } else {
                    // No escape: the JSON bytes are the text.
                    scan = raw.withMemoryRebound(to: UInt8.self) { scanner.scan(utf8: $0, role: text.role) }
                }
                if let injection {
                    screening.verdict.score(scan.injection, role: text.role, action: injection)
                    if scan.injection.flagged {
                        self.counters.count(GuardCounters.injectionType, action: injection.rawValue, source: .request)
                        if injection == .block, injectionRefusal == nil {
                            injectionRefusal = policy.injectionRefusal(role: text.role, score: scan.injection.score)
                        }
                    }
                }
                var redacting: [GuardFinding] = []
                for findings in [scan.pii, scan.secrets] {
                    for finding in findings {
                        guard let action = rules.action(for: finding.type) else { continue }
                        screening.verdict.count(finding.type, action: action)
                        self.counters.count(finding.type.rawValue, action: action.rawValue, source: .request)
                        switch action {
                        case .block: blocked.append(finding.type)
                        case .redact: redacting.append(finding)
                        case .log: break
                        }
                    }
                }
                guard !redacting.isEmpty else { continue }
                let kept = Self.nonOverlapping(redacting)
                let redacted = map.redact(decoded ?? String(decoding: raw, as: UTF8.self), findings: kept)
                // In the order `redact` numbered them, so the numbers are the same in both maps.
                for finding in kept where rules.restore.contains(finding.type) {
                    _ = restore.placeholder(for: finding)
                }
                edits.replace(text.range, with: JSONWriter.quoted(redacted))
            }
        }
        if let patternRefusal {
            screening.refusal = patternRefusal
        } else if !blocked.isEmpty {
            screening.refusal = policy.contentRefusal(
                types: blocked,
                param: shape == .openAIEmbeddings ? "input" : "messages"
            )
        } else if let injectionRefusal {
            screening.refusal = injectionRefusal
        }
        guard screening.refusal == nil else { return screening }
        if !edits.isEmpty { screening.body = edits.applied(to: body) }
        let answerTypes = rules.answerScanned
        if answers, !answerTypes.isEmpty || restore.count > 0 {
            screening.session = GuardSession(
                policy: policy,
                answerScanner: answerTypes.isEmpty ? nil : self.scanner(types: answerTypes, injection: false),
                map: map,
                restore: restore.count > 0 ? restore : nil,
                counters: self.counters
            )
        }
        return screening
    }

    /// `findings` in the order ``RedactionMap/redact(_:findings:)`` replaces them, without the
    /// ones it would leave inside another: the one that starts first (the longer on a tie) wins.
    static func nonOverlapping(_ findings: [GuardFinding]) -> [GuardFinding] {
        let ordered = findings.sorted { ($0.start, -$0.end) < ($1.start, -$1.end) }
        var kept: [GuardFinding] = []
        var offset = 0
        for finding in ordered where finding.start >= offset && finding.end > finding.start {
            kept.append(finding)
            offset = finding.end
        }
        return kept
    }
}
