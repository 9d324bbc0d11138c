import KeelCore
import Yams

extension KeelConfiguration {
    /// Reads `policies:`, a list of compliance policies {`id` (default `config-<index>`), `name`,
    /// `scope` {`org`, `team`, `key` (ids), `model` (pattern)}, `models` {`allow`, `deny`}
    /// (patterns over the model names clients send), `providers` {`allow`, `deny`} (patterns over
    /// provider names), `regions` (list), `baa_required` (bool), `pii` and `secrets` (content
    /// rules, ``readContentRule(_:kind:kindName:)``), `injection` (``readInjectionRule(_:)``),
    /// `keep_bodies` (bool), `blocked_patterns` (case-insensitive literals, 3 to 512 characters,
    /// refusing prompts that contain one)}. A provider name that matches no configured provider, or a policy
    /// that sets no rule, is an error: it would protect nothing.
    static func readPolicies(_ node: ConfigNode, providers: [Provider]) -> [Policy] {
        var policies: [Policy] = []
        var ids: Set<String> = []
        let providerNames = providers.map(\.name)
        for (index, element) in node.elements.enumerated() {
            let policy = Self.readPolicy(element, defaultID: "config-\(index)", providerNames: providerNames)
            if !ids.insert(policy.id).inserted {
                element.context.report(element.child("id").path, "is used by another policy: '\(policy.id)'")
            }
            policies.append(policy)
        }
        return policies
    }

    /// Reads one policy (an entry of `policies:`, or a document of the admin API). With
    /// `providerNames`, a provider pattern that matches none of them is an error.
    static func readPolicy(_ element: ConfigNode, defaultID: String, providerNames: [String]?) -> Policy {
        element.expectKeys([
            "id", "name", "scope", "models", "providers", "regions", "baa_required", "pii", "secrets", "injection",
            "keep_bodies", "blocked_patterns",
        ])
        let scope = element.child("scope")
        scope.expectKeys(["org", "team", "key", "model"])
        let policy = Policy(
            id: element.child("id").text ?? defaultID,
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
            baaRequired: element.child("baa_required").bool(default: false),
            pii: Self.readContentRule(element.child("pii"), kind: .personalData, kindName: "personal data"),
            secrets: Self.readContentRule(element.child("secrets"), kind: .secrets, kindName: "credential"),
            injection: Self.readInjectionRule(element.child("injection")),
            keepBodies: element.child("keep_bodies").bool(default: false),
            blockedPatterns: element.child("blocked_patterns").stringList()
        )
        for pattern in policy.blockedPatterns where !(3...512).contains(pattern.count) {
            element.context.report(element.child("blocked_patterns").path, "'\(pattern)' must be 3 to 512 characters")
        }
        if let providerNames {
            for pattern in policy.providers.allow + policy.providers.deny
            where !providerNames.contains(where: { NamePattern.matches(pattern, $0) }) {
                element.context.report(element.child("providers").path, "'\(pattern)' matches no configured provider")
            }
        }
        if policy.models.isEmpty, policy.providers.isEmpty, policy.regions.isEmpty, !policy.baaRequired,
            policy.pii == nil,
            policy.secrets == nil, policy.injection == nil, !policy.keepBodies, policy.blockedPatterns.isEmpty
        {
            element.context.report(
                element.path,
                "sets no rule (models, providers, regions, baa_required, pii, secrets, injection, keep_bodies or blocked_patterns)"
            )
        }
        return policy
    }

    /// Reads a policy from a JSON document (the admin API's body, a stored policy), validated as
    /// an entry of `policies:` is; `${…}` is not interpolated. Throws the problems found, each
    /// named by its key path.
    static func policy(
        json text: String,
        defaultID: String,
        providerNames: [String]?
    ) throws(ConfigurationError) -> Policy {
        let context = ConfigContext(environment: [:], interpolates: false)
        let root: Yams.Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw ConfigurationError(issues: [.init(key: "(root)", reason: "is not JSON")])
        }
        guard case .mapping? = root else {
            throw ConfigurationError(issues: [.init(key: "(root)", reason: "must be a JSON object")])
        }
        let policy = Self.readPolicy(
            ConfigNode(node: root, path: "", context: context),
            defaultID: defaultID,
            providerNames: providerNames
        )
        if !context.issues.isEmpty { throw ConfigurationError(issues: context.issues) }
        return policy
    }

    private static func readNameRule(_ node: ConfigNode) -> Policy.NameRule {
        node.expectKeys(["allow", "deny"])
        return Policy.NameRule(allow: node.child("allow").stringList(), deny: node.child("deny").stringList())
    }
}

extension KeelConfiguration {
    /// `guard:` — settings of the content detectors that the policies' content rules (`pii`,
    /// `secrets`, `injection`) and `POST /admin/v1/guard/scan` use.
    public struct Guard: Sendable, Equatable {
        /// The one injection score, in 0–1, at or above which content is flagged.
        public var injectionThreshold: Double

        public init(injectionThreshold: Double = 0.5) {
            self.injectionThreshold = injectionThreshold
        }
    }

    /// Reads `guard:` {`injection_threshold` (number in 0–1, default 0.5: where the detector's
    /// benign corpora stay under 1 % false positives, docs/guard-detectors.md)}.
    static func readContentGuard(_ node: ConfigNode) -> Guard {
        node.expectKeys(["injection_threshold"])
        let threshold = node.child("injection_threshold")
        guard let text = threshold.text else { return Guard() }
        guard let value = Double(text), (0...1).contains(value) else {
            threshold.context.report(threshold.path, "must be a number in 0...1, got '\(text)'")
            return Guard()
        }
        return Guard(injectionThreshold: value)
    }

    /// Reads a policy's `pii` or `secrets` rule {`action` (`block` | `redact` | `log`,
    /// required), `types` (list of finding type names of that kind; default: all of them),
    /// `restore` (bool, default false; only with `redact`)}.
    static func readContentRule(_ node: ConfigNode, kind: GuardTypeSet, kindName: String) -> ContentRule? {
        guard node.isPresent else { return nil }
        node.expectKeys(["action", "types", "restore"])
        let actionNode = node.child("action")
        guard let actionText = actionNode.requiredString() else { return nil }
        guard let action = ContentRule.Action(rawValue: actionText) else {
            actionNode.context.report(actionNode.path, "must be one of block, redact, log, got '\(actionText)'")
            return nil
        }
        var types = kind
        let typesNode = node.child("types")
        if typesNode.isPresent {
            let names = typesNode.stringList()
            if names.isEmpty {
                typesNode.context.report(typesNode.path, "must name at least one type (leave it out for all)")
            }
            types = GuardTypeSet()
            for name in names {
                guard let type = GuardFindingType(rawValue: name), kind.contains(type) else {
                    let allowed = kind.types.map(\.rawValue).joined(separator: ", ")
                    typesNode.context.report(
                        typesNode.path,
                        "'\(name)' is not a \(kindName) type (allowed: \(allowed))"
                    )
                    continue
                }
                types.insert(GuardTypeSet(types: [type]))
            }
        }
        let restoreNode = node.child("restore")
        let restore = restoreNode.bool(default: false)
        if restore, action != .redact {
            restoreNode.context.report(restoreNode.path, "needs action redact (only redacted values can be restored)")
        }
        return ContentRule(action: action, types: types, restore: restore)
    }

    /// Reads a policy's `injection` rule {`action` (`block` | `flag`, required), `roles` (list
    /// of `user`, `tool`, `system`, `assistant`; default `user`, `tool`)}.
    static func readInjectionRule(_ node: ConfigNode) -> InjectionRule? {
        guard node.isPresent else { return nil }
        node.expectKeys(["action", "roles"])
        let actionNode = node.child("action")
        guard let actionText = actionNode.requiredString() else { return nil }
        guard let action = InjectionRule.Action(rawValue: actionText) else {
            actionNode.context.report(actionNode.path, "must be one of block, flag, got '\(actionText)'")
            return nil
        }
        let rolesNode = node.child("roles")
        guard rolesNode.isPresent else { return InjectionRule(action: action) }
        var roles = ContentRoleSet()
        for name in rolesNode.stringList() {
            guard let role = ContentRole(rawValue: name) else {
                rolesNode.context.report(
                    rolesNode.path,
                    "'\(name)' is not a role (allowed: user, tool, system, assistant)"
                )
                continue
            }
            roles.insert(ContentRoleSet(roles: [role]))
        }
        if roles.isEmpty {
            rolesNode.context.report(rolesNode.path, "must name at least one role (leave it out for user, tool)")
        }
        return InjectionRule(action: action, roles: roles)
    }
}
