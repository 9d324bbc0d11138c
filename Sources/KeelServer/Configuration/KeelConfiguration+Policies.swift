import KeelCore

extension KeelConfiguration {
    /// Reads `policies:`, a list of compliance policies {`id` (default `config-<index>`), `name`,
    /// `scope` {`org`, `team`, `key` (ids), `model` (pattern)}, `models` {`allow`, `deny`}
    /// (patterns over the model names clients send), `providers` {`allow`, `deny`} (patterns over
    /// provider names), `regions` (list), `baa_required` (bool)}. A provider name that matches no
    /// configured provider, or a policy that sets no rule, is an error: it would protect nothing.
    static func readPolicies(_ node: ConfigNode, providers: [Provider]) -> [Policy] {
        var policies: [Policy] = []
        var ids: Set<String> = []
        let providerNames = providers.map(\.name)
        for (index, element) in node.elements.enumerated() {
            element.expectKeys(["id", "name", "scope", "models", "providers", "regions", "baa_required"])
            let scope = element.child("scope")
            scope.expectKeys(["org", "team", "key", "model"])
            let policy = Policy(
                id: element.child("id").text ?? "config-\(index)",
                name: element.child("name").text,
                scope: Policy.Scope(
                    org: scope.child("org").text.map { OrgID($0) },
                    team: scope.child("team").text.map { TeamID($0) },
                    key: scope.child("key").text.map { KeyID($0) },
                    model: scope.child("model").text
                ),
                models: Self.readNameRule(element.child("models")),
                providers: Self.readNameRule(element.child("providers")),
                regions: element.child("regions").stringList(),
                baaRequired: element.child("baa_required").bool(default: false)
            )
            if !ids.insert(policy.id).inserted {
                element.context.report(element.child("id").path, "is used by another policy: '\(policy.id)'")
            }
            for pattern in policy.providers.allow + policy.providers.deny
            where !providerNames.contains(where: { NamePattern.matches(pattern, $0) }) {
                element.context.report(element.child("providers").path, "'\(pattern)' matches no configured provider")
            }
            if policy.models.isEmpty, policy.providers.isEmpty, policy.regions.isEmpty, !policy.baaRequired {
                element.context.report(element.path, "sets no rule (models, providers, regions or baa_required)")
            }
            policies.append(policy)
        }
        return policies
    }

    private static func readNameRule(_ node: ConfigNode) -> Policy.NameRule {
        node.expectKeys(["allow", "deny"])
        return Policy.NameRule(allow: node.child("allow").stringList(), deny: node.child("deny").stringList())
    }
}
