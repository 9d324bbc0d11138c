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
        case .held:
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
