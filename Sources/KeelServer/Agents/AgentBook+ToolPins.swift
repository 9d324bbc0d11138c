import KeelCore
import KeelOps
import KeelStorage
import Logging

extension AgentBook {
    static func pinKey(_ agentID: String, _ server: String, _ tool: String) -> String {
        agentID + "\u{0}" + server + "\u{0}" + tool
    }

    /// Screens one tool that `server` lists to the registered agent `agentID`: its definition is
    /// pinned the first time, and a definition that differs from the pinned one is held for
    /// approval (stored, and an alert fires). Returns whether the agent may see the tool: not
    /// while a changed definition awaits approval. In memory at once; stored in the background.
    func screenListedTool(agentID: String, server: String, tool: JSONValue, now: Int64) -> Bool {
        guard let name = tool["name"]?.string, let (sha256, definition) = ToolPin.digest(of: tool) else { return true }
        enum Change {
            case none
            case pinned(ToolPin)
            case held(ToolPin)
        }
        let key = Self.pinKey(agentID, server, name)
        let (visible, change) = self.withSnapshot { snapshot -> (Bool, Change) in
            guard var pin = snapshot.pins[key] else {
                let pin = ToolPin(
                    agentID: agentID,
                    server: server,
                    tool: name,
                    sha256: sha256,
                    definition: definition,
                    firstSeenAt: now,
                    changedAt: now
                )
                snapshot.pins[key] = pin
                return (true, .pinned(pin))
            }
            if pin.sha256 == sha256 { return (true, .none) }
            if pin.pendingSHA256 == sha256 { return (false, .none) }
            pin.pendingSHA256 = sha256
            pin.pendingDefinition = definition
            pin.changedAt = now
            snapshot.pins[key] = pin
            return (false, .held(pin))
        }
        let store = self.store
        switch change {
        case .none:
            break
        case .pinned(let pin):
            Task { _ = try? await store.pinIfAbsent(pin) }
            self.screenForPoisoning(tool, agentID: agentID, server: server, name: name, now: now)
        case .held:
            self.screenForPoisoning(tool, agentID: agentID, server: server, name: name, now: now)
            self.logger.warning(
                "An MCP tool's definition changed; it is held until a reviewer approves it",
                metadata: [
                    "keel.agent.id": "\(agentID)", "keel.mcp.server": "\(server)", "gen_ai.tool.name": "\(name)",
                ]
            )
            Task {
                try? await store.holdChangedTool(
                    agentID: agentID,
                    server: server,
                    tool: name,
                    sha256: sha256,
                    definition: definition,
                    at: now
                )
            }
            if let alerts = self.alerts {
                let notification = AlertNotification(
                    rule: "tool_definition_changed",
                    severity: .page,
                    status: .firing,
                    labels: ["agent": agentID, "server": server, "tool": name, "pending_sha256": sha256],
                    value: 1,
                    threshold: 0,
                    details: [:],
                    summary:
                        "The definition of tool '\(name)' of MCP server '\(server)' changed since agent '\(agentID)' first saw it; "
                        + "it is withheld until a reviewer approves it.",
                    startsAtMicros: now
                )
                Task { await alerts.deliver([notification]) }
            }
        }
        return visible
    }

    /// A tool's description and its parameters' descriptions scored for prompt injection when its
    /// definition is first seen or changes (MCP tool poisoning: instructions to the model hidden
    /// in what the model reads about a tool). A flagged one fires `tool_poisoning`, a
    /// supply-chain incident; the tool itself is still governed by its pin.
    func screenForPoisoning(_ tool: JSONValue, agentID: String, server: String, name: String, now: Int64) {
        var texts: [String] = []
        func collect(_ value: JSONValue, key: String?) {
            switch value {
            case .string(let text) where key == "description" || key == "title": texts.append(text)
            case .object(let members): for member in members { collect(member.value, key: member.key) }
            case .array(let items): for item in items { collect(item, key: key) }
            default: break
            }
        }
        collect(tool, key: nil)
        guard !texts.isEmpty, let alerts = self.alerts else { return }
        let scan = Self.poisonScanner.scan(texts.joined(separator: "\n"), role: .tool)
        guard scan.injection.flagged else { return }
        self.logger.warning(
            "An MCP tool's description reads as a prompt injection",
            metadata: ["keel.agent.id": "\(agentID)", "keel.mcp.server": "\(server)", "gen_ai.tool.name": "\(name)"]
        )
        let notification = AlertNotification(
            rule: "tool_poisoning",
            severity: .page,
            status: .firing,
            labels: ["agent": agentID, "server": server, "tool": name],
            value: scan.injection.score,
            threshold: Self.poisonScanner.configuration.injectionThreshold,
            details: ["score": scan.injection.score],
            summary: "The description of tool '\(name)' of MCP server '\(server)' carries instructions to the model "
                + "(injection score \(scan.injection.score)); agent '\(agentID)' may be steered by it.",
            startsAtMicros: now
        )
        Task { await alerts.deliver([notification]) }
    }

    /// Injection scoring only, at the guard's default threshold.
    static let poisonScanner = ContentScanner(
        configuration: .init(
            personalData: [GuardFindingType](),
            secrets: [GuardFindingType](),
            injection: true,
            injectionThreshold: 0.5
        )
    )

    /// The pin of `tool` of `server` for `agentID` when a changed definition of it awaits
    /// approval: its calls are refused meanwhile.
    func pendingPin(agentID: String, server: String, tool: String) -> ToolPin? {
        self.withSnapshot { $0.pins[Self.pinKey(agentID, server, tool)].flatMap { $0.isPending ? $0 : nil } }
    }

    /// Resolves the `tool_definition_changed` alert of `pin`, whose changed definition a reviewer
    /// approved (the pin's digest is now the one the alert named).
    func resolveChangedTool(_ pin: ToolPin, now: Int64) async {
        guard let alerts = self.alerts else { return }
        await alerts.deliver([
            AlertNotification(
                rule: "tool_definition_changed",
                severity: .page,
                status: .resolved,
                labels: ["agent": pin.agentID, "server": pin.server, "tool": pin.tool, "pending_sha256": pin.sha256],
                value: 0,
                threshold: 0,
                details: [:],
                summary:
                    "The new definition of tool '\(pin.tool)' of MCP server '\(pin.server)' was approved for agent '\(pin.agentID)'.",
                startsAtMicros: now
            )
        ])
    }
}
