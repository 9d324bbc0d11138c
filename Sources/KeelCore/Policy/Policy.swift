/// A compliance policy: rules the requests in its scope must keep, checked before a request
/// leaves the gateway (and, for content rules, on its answer).
///
/// Policies are data (YAML `policies:`); several may apply to one request, and then the
/// strictest reading of each rule holds (``EffectivePolicy``). A rule a policy leaves out does not
/// loosen what another applying policy says.
public struct Policy: Sendable, Equatable {
    public var id: String
    public var name: String?
    /// Which requests it applies to: every field that is set must match.
    public var scope: Scope
    /// Client-facing model names (patterns with `*`) requests may name, and fallbacks may reach.
    public var models: NameRule
    /// Provider names (patterns with `*`) a request may be sent to.
    public var providers: NameRule
    /// Regions a provider must process data in (`providers[].region`); empty allows any.
    public var regions: [String]
    /// Only providers under a business associate agreement (`providers[].baa`) may serve these
    /// requests, fallbacks included: with none left the request is refused, never sent elsewhere.
    public var baaRequired: Bool
    /// Personal and health data in the requests' content (and their answers): block, redact or log.
    public var pii: ContentRule?
    /// Credentials in the requests' content (and their answers): block, redact or log.
    public var secrets: ContentRule?
    /// Prompt injection in the content of the roles it names: block or flag.
    public var injection: InjectionRule?
    /// Keep the bodies of the requests in scope (request and answer), sealed with their
    /// organisation's key, so that erasing the key erases them (crypto-shredding).
    public var keepBodies: Bool
    /// Refuse requests whose prompt contains one of these (case-insensitive literals): the guard
    /// rules incident playbooks add (`block_pattern`) and users can write too.
    public var blockedPatterns: [String]

    public init(
        id: String,
        name: String? = nil,
        scope: Scope = Scope(),
        models: NameRule = NameRule(),
        providers: NameRule = NameRule(),
        regions: [String] = [],
        baaRequired: Bool = false,
        pii: ContentRule? = nil,
        secrets: ContentRule? = nil,
        injection: InjectionRule? = nil,
        keepBodies: Bool = false,
        blockedPatterns: [String] = []
    ) {
        self.keepBodies = keepBodies
        self.blockedPatterns = blockedPatterns
        self.pii = pii
        self.secrets = secrets
        self.injection = injection
        self.id = id
        self.name = name
        self.scope = scope
        self.models = models
        self.providers = providers
        self.regions = regions
        self.baaRequired = baaRequired
    }

    /// The requests a policy applies to. Empty: all of them.
    public struct Scope: Sendable, Equatable {
        public var org: OrgID?
        public var team: TeamID?
        public var key: KeyID?
        /// A client-facing model name (pattern with `*`).
        public var model: String?

        public init(org: OrgID? = nil, team: TeamID? = nil, key: KeyID? = nil, model: String? = nil) {
            self.org = org
            self.team = team
            self.key = key
            self.model = model
        }

        /// Whether a request of this principal, naming `model`, is in scope.
        public func contains(org: OrgID?, team: TeamID?, key: KeyID?, model: String) -> Bool {
            if let wanted = self.org, wanted != org { return false }
            if let wanted = self.team, wanted != team { return false }
            if let wanted = self.key, wanted != key { return false }
            if let pattern = self.model, !NamePattern.matches(pattern, model) { return false }
            return true
        }
    }

    /// An allow-list and a deny-list of names; patterns may use `*` for any run of characters.
    public struct NameRule: Sendable, Equatable {
        /// When not empty, only names matching one of these.
        public var allow: [String]
        /// Never names matching one of these (it wins over `allow`).
        public var deny: [String]

        public init(allow: [String] = [], deny: [String] = []) {
            self.allow = allow
            self.deny = deny
        }

        public var isEmpty: Bool { self.allow.isEmpty && self.deny.isEmpty }

        public func permits(_ name: String) -> Bool {
            if self.deny.contains(where: { NamePattern.matches($0, name) }) { return false }
            return self.allow.isEmpty || self.allow.contains { NamePattern.matches($0, name) }
        }
    }
}

/// `*` patterns over names: `gpt-4o*`, `*-preview`, `claude-*-sonnet-*`, `*` (anything).
public enum NamePattern {
    /// Whether `name` matches `pattern`, where `*` stands for any run of characters (none
    /// included) and everything else for itself. The greedy match with one saved star position:
    /// at most pattern × name steps, never the exponential blow-up of recursive matching.
    public static func matches(_ pattern: String, _ name: String) -> Bool {
        let pattern = Array(pattern.utf8)
        let name = Array(name.utf8)
        var p = 0
        var n = 0
        var star: Int?
        var resume = 0
        while n < name.count {
            if p < pattern.count, pattern[p] == UInt8(ascii: "*") {
                star = p
                resume = n
                p += 1
            } else if p < pattern.count, pattern[p] == name[n] {
                p += 1
                n += 1
            } else if let star {
                p = star + 1
                resume += 1
                n = resume
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == UInt8(ascii: "*") { p += 1 }
        return p == pattern.count
    }
}
