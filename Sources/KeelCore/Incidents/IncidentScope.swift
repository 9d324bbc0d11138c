/// What an incident is about: the organisation, team, key, agent, model or provider it touches.
/// A detection's scope names only what its detector saw; detections of one category and one
/// scope while an incident is open join that incident.
public struct IncidentScope: Sendable, Hashable, Codable {
    public var org: String?
    public var team: String?
    public var key: String?
    public var agent: String?
    public var model: String?
    public var provider: String?

    public init(
        org: String? = nil,
        team: String? = nil,
        key: String? = nil,
        agent: String? = nil,
        model: String? = nil,
        provider: String? = nil
    ) {
        self.org = org
        self.team = team
        self.key = key
        self.agent = agent
        self.model = model
        self.provider = provider
    }

    /// The named parts, in a fixed order.
    public var parts: [(name: String, value: String)] {
        var parts: [(String, String)] = []
        if let org { parts.append(("org", org)) }
        if let team { parts.append(("team", team)) }
        if let key { parts.append(("key", key)) }
        if let agent { parts.append(("agent", agent)) }
        if let model { parts.append(("model", model)) }
        if let provider { parts.append(("provider", provider)) }
        return parts
    }

    /// One string per scope (`org=acme,agent=triage`; empty for the whole gateway): with the
    /// category, what groups detections into one incident.
    public var groupingKey: String {
        self.parts.map { "\($0.name)=\($0.value)" }.joined(separator: ",")
    }

    /// `true` when every part this scope names is the same in `other` (`other` may name more).
    public func contains(_ other: IncidentScope) -> Bool {
        self.parts.allSatisfy { part in other.parts.contains { $0.name == part.name && $0.value == part.value } }
    }
}
