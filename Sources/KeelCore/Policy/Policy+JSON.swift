extension Policy {
    /// The policy's rules as JSON object members (`"key":value`), with the keys and values of the
    /// configuration's `policies[]` entries, in their order; a rule the policy leaves out is left
    /// out, and a content rule over every type of its kind names no `types`. Without `id`.
    ///
    /// The admin API stores this document and answers with it; the evidence pack lists it.
    public var jsonMembers: [String] {
        var members: [String] = []
        func add(_ key: String, _ value: String) { members.append(JSONWriter.quoted(key) + ":" + value) }
        func list(_ values: [String]) -> String { "[" + values.map(JSONWriter.quoted).joined(separator: ",") + "]" }
        func names(_ rule: NameRule) -> String {
            var parts: [String] = []
            if !rule.allow.isEmpty { parts.append(#""allow":"# + list(rule.allow)) }
            if !rule.deny.isEmpty { parts.append(#""deny":"# + list(rule.deny)) }
            return "{" + parts.joined(separator: ",") + "}"
        }
        func content(_ rule: ContentRule, kind: GuardTypeSet) -> String {
            var parts = [#""action":"# + JSONWriter.quoted(rule.action.rawValue)]
            if rule.types != kind { parts.append(#""types":"# + list(rule.types.types.map(\.rawValue))) }
            if rule.restore { parts.append(#""restore":true"#) }
            return "{" + parts.joined(separator: ",") + "}"
        }
        if let name = self.name { add("name", JSONWriter.quoted(name)) }
        var scope: [String] = []
        if let org = self.scope.org { scope.append(#""org":"# + JSONWriter.quoted(org.rawValue)) }
        if let team = self.scope.team { scope.append(#""team":"# + JSONWriter.quoted(team.rawValue)) }
        if let key = self.scope.key { scope.append(#""key":"# + JSONWriter.quoted(key.rawValue)) }
        if let model = self.scope.model { scope.append(#""model":"# + JSONWriter.quoted(model)) }
        if !scope.isEmpty { add("scope", "{" + scope.joined(separator: ",") + "}") }
        if !self.models.isEmpty { add("models", names(self.models)) }
        if !self.providers.isEmpty { add("providers", names(self.providers)) }
        if !self.regions.isEmpty { add("regions", list(self.regions)) }
        if self.baaRequired { add("baa_required", "true") }
        if let pii = self.pii { add("pii", content(pii, kind: .personalData)) }
        if let secrets = self.secrets { add("secrets", content(secrets, kind: .secrets)) }
        if let injection = self.injection {
            var parts = [#""action":"# + JSONWriter.quoted(injection.action.rawValue)]
            if injection.roles != [.user, .tool] {
                parts.append(#""roles":"# + list(injection.roles.roles.map(\.rawValue)))
            }
            add("injection", "{" + parts.joined(separator: ",") + "}")
        }
        if self.keepBodies { add("keep_bodies", "true") }
        if !self.blockedPatterns.isEmpty { add("blocked_patterns", list(self.blockedPatterns)) }
        return members
    }

    /// The policy as one JSON object: `id`, then ``jsonMembers``.
    public var json: String {
        "{" + ([#""id":"# + JSONWriter.quoted(self.id)] + self.jsonMembers).joined(separator: ",") + "}"
    }
}
