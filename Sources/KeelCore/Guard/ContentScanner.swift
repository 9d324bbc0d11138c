/// The one entry point the gateway calls: scans a text once with the detectors that are on and
/// returns everything they found.
///
/// Cheap enough for the request path (see `docs/guard-detectors.md` for the measured cost per
/// 4 KB): the detectors are hand-written scanners over the UTF-8 bytes, linear in the input,
/// with no regular expressions. One scanner serves every request; it holds only its
/// configuration.
public struct ContentScanner: Sendable {
    /// Which detectors run, and the injection threshold.
    public struct Configuration: Sendable, Hashable {
        /// The personal data types to look for; empty turns PII detection off.
        public var personalData: Set<GuardFindingType>
        /// The credential types to look for; empty turns secret detection off.
        public var secrets: Set<GuardFindingType>
        /// Whether to score prompt injection.
        public var injection: Bool
        /// The injection score at or above which a text is flagged.
        public var injectionThreshold: Double

        public init(
            personalData: some Sequence<GuardFindingType> = GuardFindingType.personalData,
            secrets: some Sequence<GuardFindingType> = GuardFindingType.secrets,
            injection: Bool = true,
            injectionThreshold: Double = 0.5
        ) {
            self.personalData = Set(personalData.filter { !$0.isSecret })
            self.secrets = Set(secrets.filter(\.isSecret))
            self.injection = injection
            self.injectionThreshold = injectionThreshold
        }

        /// Every detector on, with the default threshold.
        public static let all = Configuration()
    }

    public let configuration: Configuration
    private let personalData: PIIDetector
    private let secrets: SecretDetector
    private let injection: InjectionDetector

    public init(configuration: Configuration = .all) {
        self.configuration = configuration
        self.personalData = PIIDetector(types: configuration.personalData)
        self.secrets = SecretDetector(types: configuration.secrets)
        self.injection = InjectionDetector(threshold: configuration.injectionThreshold)
    }

    /// Scans `text`, written by `role`.
    public func scan(_ text: String, role: ContentRole = .user) -> ContentScan {
        var text = text
        return text.withUTF8 { self.scan(utf8: $0, role: role) }
    }

    /// Scans UTF-8 `bytes` (as received in a request body), written by `role`. Offsets in the
    /// result count Unicode scalars of the decoded text.
    public func scan(utf8 bytes: UnsafeBufferPointer<UInt8>, role: ContentRole = .user) -> ContentScan {
        var piiMatches: [GuardByteMatch] = []
        var secretMatches: [GuardByteMatch] = []
        if !self.configuration.personalData.isEmpty { self.personalData.collect(in: bytes, into: &piiMatches) }
        if !self.configuration.secrets.isEmpty { self.secrets.collect(in: bytes, into: &secretMatches) }
        let verdict = self.configuration.injection ? self.injection.verdict(bytes: bytes, role: role) : .clean
        return ContentScan(
            injection: verdict,
            pii: GuardScalarOffsets.findings(piiMatches, in: bytes),
            secrets: GuardScalarOffsets.findings(secretMatches, in: bytes)
        )
    }
}

/// What one scan found. Encodes as the admin API's
/// `{"injection":{"score":…,"flagged":…,"signals":[…]},"pii":[{"type":…,"start":…,"end":…}],"secrets":[…]}`.
public struct ContentScan: Sendable, Hashable, Codable {
    public var injection: InjectionVerdict
    /// Personal data, sorted by start offset.
    public var pii: [GuardFinding]
    /// Credentials, sorted by start offset.
    public var secrets: [GuardFinding]

    public init(injection: InjectionVerdict, pii: [GuardFinding], secrets: [GuardFinding]) {
        self.injection = injection
        self.pii = pii
        self.secrets = secrets
    }

    /// Personal data and credentials together, sorted by start offset: what redaction replaces.
    public var findings: [GuardFinding] {
        (self.pii + self.secrets).sorted { ($0.start, $0.end) < ($1.start, $1.end) }
    }
}
