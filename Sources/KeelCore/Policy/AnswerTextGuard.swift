/// Screens one run of answer text (a choice's content, a text block) for the types a request's
/// rules block or redact, as it arrives piece by piece.
///
/// Each piece is scanned together with what is still held and a short tail of the text already
/// released (context words such as "password:" come before their value). What can no longer be
/// part of a finding is released at once: only the word still being written is held (a run of
/// printable ASCII, with the groups of a number written with spaces, `+1 415 555`), and a finding
/// that reaches the end (it may still grow: `bob@example.co…`) is held whole. So the text is
/// delayed by about one event, and a value split across events is caught whole. What is released
/// has each redacted value replaced by its placeholder from `map`; a blocking finding stops the
/// text.
///
/// A multi-word value that the detectors recognise only from a later word (a name after
/// "Dr.", an address) may have had its first words released before it is recognised; only its
/// held part is then replaced.
public struct AnswerTextGuard: Sendable {
    /// What a piece of text released.
    public struct Release: Sendable, Equatable {
        /// The text the client may have now, with redacted values replaced (the request's own
        /// placeholders are still in it: restoring is the caller's next step).
        public var text: String
        /// The types of the values replaced in `text`.
        public var redacted: [GuardFindingType]
        /// Types that block: the text stops here and `text` is empty.
        public var blocked: [GuardFindingType]

        public init(text: String, redacted: [GuardFindingType] = [], blocked: [GuardFindingType] = []) {
            self.text = text
            self.redacted = redacted
            self.blocked = blocked
        }
    }

    private let scanner: ContentScanner
    private let block: GuardTypeSet
    /// The last released text, as the upstream wrote it, for context.
    private var context = ""
    private var held = ""

    /// How much released text is scanned again with the next piece, in Unicode scalars.
    static let contextScalars = 96
    /// The most text held without a break before it is released anyway (a finding that reaches
    /// the end is still held).
    static let maxHeldScalars = 8_192

    /// - Parameters:
    ///   - scanner: scans for the types that block or redact (injection off).
    ///   - block: the types that stop the answer; every other finding is redacted.
    public init(scanner: ContentScanner, block: GuardTypeSet) {
        self.scanner = scanner
        self.block = block
    }

    /// Whether text is held, waiting for the next piece.
    public var isHolding: Bool { !self.held.isEmpty }

    /// Takes the next piece of the text; returns what can be released now.
    public mutating func feed(_ piece: String, map: inout RedactionMap) -> Release {
        self.held += piece
        return self.release(final: false, map: &map)
    }

    /// The text has ended: releases everything held.
    public mutating func finish(map: inout RedactionMap) -> Release {
        self.release(final: true, map: &map)
    }

    /// Screens a whole text at once (a complete answer).
    public static func screen(_ text: String, scanner: ContentScanner, block: GuardTypeSet, map: inout RedactionMap) -> Release {
        let scan = scanner.scan(text, role: .assistant)
        if scan.pii.isEmpty && scan.secrets.isEmpty { return Release(text: text) }
        var screen = AnswerTextGuard(scanner: scanner, block: block)
        screen.held = text
        return screen.release(final: true, map: &map, scanned: scan)
    }

    /// Releases what can go now; `scanned` is the scan of the window when the caller has it.
    private mutating func release(final: Bool, map: inout RedactionMap, scanned: ContentScan? = nil) -> Release {
        guard !self.held.isEmpty else { return Release(text: "") }
        let window = self.context + self.held
        let scalars = Array(window.unicodeScalars)
        let lower = self.context.unicodeScalars.count
        let total = scalars.count
        let findings = (scanned ?? self.scanner.scan(window, role: .assistant)).findings.filter { $0.end > lower }
        let blocked = findings.filter { self.block.contains($0.type) }.map(\.type)
        if !blocked.isEmpty {
            self.held = ""
            return Release(text: "", blocked: blocked)
        }
        var cut = final ? total : Self.safeEnd(scalars, lower: lower)
        if !final {
            // A finding past the cut, or reaching the end, may still grow: hold it whole.
            var moved = true
            while moved {
                moved = false
                for finding in findings where finding.end > cut || finding.end == total {
                    let start = max(finding.start, lower)
                    if start < cut {
                        cut = start
                        moved = true
                    }
                }
            }
        }
        var output = String.UnicodeScalarView()
        var redacted: [GuardFindingType] = []
        var index = lower
        for finding in findings where finding.end <= cut {
            let start = max(finding.start, lower)
            guard start >= index else { continue }
            output.append(contentsOf: scalars[index..<start])
            output.append(contentsOf: map.placeholder(for: finding).unicodeScalars)
            redacted.append(finding.type)
            index = finding.end
        }
        if index < cut { output.append(contentsOf: scalars[index..<cut]) }
        self.context = String(String.UnicodeScalarView(scalars[max(0, cut - Self.contextScalars)..<cut]))
        self.held = String(String.UnicodeScalarView(scalars[cut...]))
        return Release(text: String(output), redacted: redacted)
    }

    /// Where the released text may end: before the word still being written, and before the
    /// groups of a number written with spaces that it continues (`+1 415 555`, `4111 1111`).
    ///
    /// A word here is a run of printable ASCII: what credentials, numbers, addresses and URLs
    /// are written in. Text in a script without spaces (Chinese, Japanese) is thus released as
    /// it comes, apart from an ASCII run at its end.
    static func safeEnd(_ scalars: [Unicode.Scalar], lower: Int) -> Int {
        let total = scalars.count
        if total - lower > Self.maxHeldScalars { return total }
        var cut = total
        while cut > lower, (0x21...0x7E).contains(scalars[cut - 1].value) { cut -= 1 }
        let tail = scalars[cut..<total]
        guard tail.isEmpty || Self.isNumberGroup(tail) else { return cut }
        for _ in 0..<6 {
            guard cut - 1 > lower, scalars[cut - 1] == " " else { break }
            var start = cut - 1
            while start > lower, (0x21...0x7E).contains(scalars[start - 1].value) { start -= 1 }
            guard start < cut - 1, Self.isNumberGroup(scalars[start..<(cut - 1)]) else { break }
            cut = start
        }
        return cut
    }

    /// A short token with a digit, of letters, digits and `+ ( ) . / -` only.
    static func isNumberGroup(_ token: ArraySlice<Unicode.Scalar>) -> Bool {
        guard !token.isEmpty, token.count <= 8 else { return false }
        var digit = false
        for scalar in token {
            switch scalar {
            case "0"..."9": digit = true
            case "a"..."z", "A"..."Z", "+", "(", ")", ".", "/", "-": continue
            default: return false
            }
        }
        return digit
    }
}
