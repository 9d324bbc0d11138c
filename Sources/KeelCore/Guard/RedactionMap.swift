/// The placeholders of one request: which value each `[TYPE_N]` stands for.
///
/// Every message of a request is redacted through the same map, so a value that appears in the
/// system prompt and again in the third user message becomes the same placeholder in both, and
/// the model can still tell that they are the same. The map then restores the values in the
/// answer (``restore(_:)``, or ``StreamingRestorer`` for a streamed answer). It lives as long as
/// the request and is never logged or stored: it holds the values it hides.
public struct RedactionMap: Sendable {
    private var placeholderByValue: [String: String] = [:]
    private var valueByPlaceholder: [String: String] = [:]
    private var counters: [GuardFindingType: Int] = [:]
    /// The length in bytes of the longest placeholder handed out.
    public private(set) var longestPlaceholder = 0

    public init() {}

    /// How many distinct values the map holds.
    public var count: Int { self.valueByPlaceholder.count }

    /// The placeholder for the value of `finding`: the one already given to the same value of the
    /// same type, or the next number for its type (`[EMAIL_1]`, `[EMAIL_2]`, …).
    public mutating func placeholder(for finding: GuardFinding) -> String {
        let key = finding.type.rawValue + "\u{0}" + finding.text
        if let existing = self.placeholderByValue[key] { return existing }
        let number = self.counters[finding.type, default: 0] + 1
        self.counters[finding.type] = number
        let placeholder = "[\(finding.type.placeholderLabel)_\(number)]"
        self.placeholderByValue[key] = placeholder
        self.valueByPlaceholder[placeholder] = finding.text
        self.longestPlaceholder = max(self.longestPlaceholder, placeholder.utf8.count)
        return placeholder
    }

    /// The value a placeholder stands for, or `nil` for text the map did not hand out.
    public func value(for placeholder: String) -> String? {
        self.valueByPlaceholder[placeholder]
    }

    /// Every placeholder handed out.
    public var placeholders: Dictionary<String, String>.Keys { self.valueByPlaceholder.keys }

    /// `text` with each finding replaced by its placeholder. Findings are in Unicode scalar
    /// offsets of `text` (as the detectors report them); where two overlap, the one that starts
    /// first (the longer, on a tie) wins and the other stays inside it.
    public mutating func redact(_ text: String, findings: [GuardFinding]) -> String {
        guard !findings.isEmpty else { return text }
        let ordered = findings.sorted { ($0.start, -$0.end) < ($1.start, -$1.end) }
        var output = String.UnicodeScalarView()
        var scalars = text.unicodeScalars.makeIterator()
        var offset = 0
        for finding in ordered where finding.start >= offset && finding.end > finding.start {
            while offset < finding.start, let scalar = scalars.next() {
                output.append(scalar)
                offset += 1
            }
            while offset < finding.end, scalars.next() != nil { offset += 1 }
            output.append(contentsOf: self.placeholder(for: finding).unicodeScalars)
        }
        while let scalar = scalars.next() { output.append(scalar) }
        return String(output)
    }

    /// `text` with every placeholder of this map replaced by its value; other bracketed text,
    /// including placeholders the map never handed out, stays as it is.
    public func restore(_ text: String) -> String {
        guard !self.valueByPlaceholder.isEmpty else { return text }
        var restorer = StreamingRestorer(map: self)
        return restorer.restore(text) + restorer.finish()
    }
}
