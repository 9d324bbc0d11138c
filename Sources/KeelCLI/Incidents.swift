import ArgumentParser
import Foundation
import NIOHTTP1

/// `keel incidents list|show|ack|assign|comment|resolve|close|approve|deny|drill`: incident response
/// through the admin API of a running gateway (see `Keys.Connection` for `--url` and
/// `--admin-key`).
struct Incidents: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "incidents",
        abstract:
            "Respond to incidents: list, show, acknowledge, assign, comment, resolve, close; decide held playbook steps; run drills.",
        subcommands: [
            List.self, Show.self, Ack.self, Assign.self, Comment.self, Resolve.self, Close.self, Approve.self,
            Deny.self, Drill.self,
        ]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List incidents, newest first (open ones by default)."
        )

        @OptionGroup var connection: Keys.Connection
        @Flag(help: "Resolved and closed ones too.") var all = false
        @Option(
            help:
                "Only this category (prompt_injection, model_degradation, data_exposure, cost_spike, provider_outage, agent_misbehaviour, supply_chain)."
        )
        var category: String?
        @Option(help: "This severity and above (low, medium, high, critical).") var severity: String?

        func run() async throws {
            let query = [("open", self.all ? nil : "true"), ("category", self.category), ("severity", self.severity)]
                .compactMap { name, value in value.map { "\(name)=\(TenancyTable.escape($0))" } }
            let listed =
                try await self.connection.call(.GET, "/admin/v1/incidents?" + query.joined(separator: "&"))
                as? [String: Any]
            let rows = (listed?["data"] as? [[String: Any]] ?? []).map { incident -> [String: Any] in
                var row = incident
                row["scope"] = (incident["scope"] as? [String: String] ?? [:]).sorted { $0.key < $1.key }
                    .map { "\($0.key)=\($0.value)" }.joined(separator: ",")
                row["owner"] = incident["owner"] as? String ?? "-"
                row["title"] = String((incident["title"] as? String ?? "").prefix(60))
                return row
            }
            TenancyTable.print(
                rows,
                columns: ["id", "category", "severity", "state", "scope", "owner", "detections", "opened_at", "title"]
            )
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Print one incident as JSON: its timeline, detections, playbook steps, evidence and linked requests."
        )

        @OptionGroup var connection: Keys.Connection
        @Argument(help: "Incident id.") var id: String

        func run() async throws {
            try Agents.printJSON(
                try await self.connection.call(.GET, "/admin/v1/incidents/\(TenancyTable.escape(self.id))")
            )
        }
    }

    struct Ack: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Acknowledge an incident (stops its escalation).")

        @OptionGroup var connection: Keys.Connection
        @Argument(help: "Incident id.") var id: String

        func run() async throws {
            try await Incidents.change(self.connection, self.id, "acknowledge", [:])
        }
    }

    struct Assign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Give an incident an owner.")

        @OptionGroup var connection: Keys.Connection
        @Argument(help: "Incident id.") var id: String
        @Argument(help: "Who owns the response.") var owner: String

        func run() async throws {
            try await Incidents.change(self.connection, self.id, "assign", ["owner": self.owner])
        }
    }

    struct Comment: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a comment to an incident's timeline.")

        @OptionGroup var connection: Keys.Connection
        @Argument(help: "Incident id.") var id: String
        @Argument(help: "The comment.") var text: String

        func run() async throws {
            try await Incidents.change(self.connection, self.id, "comments", ["text": self.text])
        }
    }

    struct Resolve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Resolve an incident: its playbooks' temporary actions are undone."
        )

        @OptionGroup var connection: Keys.Connection
        @Argument(help: "Incident id.") var id: String
        @Option(help: "What resolved it.") var note: String?

        func run() async throws {
            try await Incidents.change(self.connection, self.id, "resolve", self.note.map { ["note": $0] } ?? [:])
        }
    }

    struct Close: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Close a resolved incident with its post-incident review."
        )

        @OptionGroup var connection: Keys.Connection
        @Argument(help: "Incident id.") var id: String
        @Option(help: "The review's summary.") var summary: String
        @Option(name: .customLong("root-cause"), help: "The root cause.") var rootCause: String?
        @Option(name: .customLong("action"), help: "A follow-up action (repeatable).") var actions: [String] = []

        func run() async throws {
            var review: [String: Any] = ["summary": self.summary, "actions": self.actions]
            if let rootCause = self.rootCause { review["root_cause"] = rootCause }
            try await Incidents.change(self.connection, self.id, "close", ["review": review])
        }
    }

    struct Approve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Approve a playbook step held for approval.")

        @OptionGroup var connection: Keys.Connection
        @Argument(help: "Incident id.") var id: String
        @Argument(help: "The step: <playbook>.<index>, as `show` lists it.") var step: String
        @Option(help: "Why.") var reason: String?

        func run() async throws {
            try await Incidents.decide(self.connection, self.id, self.step, "approve", self.reason)
        }
    }

    struct Deny: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Deny a playbook step held for approval (it is skipped)."
        )

        @OptionGroup var connection: Keys.Connection
        @Argument(help: "Incident id.") var id: String
        @Argument(help: "The step: <playbook>.<index>.") var step: String
        @Option(help: "Why.") var reason: String?

        func run() async throws {
            try await Incidents.decide(self.connection, self.id, self.step, "deny", self.reason)
        }
    }

    struct Drill: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Run a game day against the simulator: inject a category's fault, report time to detect, time to contain and each playbook step.",
            discussion: """
                CATEGORY is prompt_injection, model_degradation, data_exposure, cost_spike, \
                provider_outage, agent_misbehaviour, supply_chain, or all (the seven in turn, the \
                outage last: it leaves the provider's breaker open for its cool-down). Exits 1 when a \
                drill fails.
                """
        )

        static let order = [
            "prompt_injection", "data_exposure", "cost_spike", "agent_misbehaviour", "supply_chain",
            "model_degradation", "provider_outage",
        ]

        @OptionGroup var connection: Keys.Connection
        @Argument(help: "The category to drill, or all.") var category: String
        @Option(help: "Seconds a drill may take (10 to 1800).") var timeout = 180
        @Flag(help: "Leave the steps the playbooks hold for a human waiting (no containment through them).")
        var noApprove = false
        @Flag(help: "Print each report as JSON.") var json = false

        func validate() throws {
            guard self.category == "all" || Self.order.contains(self.category) else {
                throw ValidationError("CATEGORY is all or one of \(Self.order.joined(separator: ", ")).")
            }
            guard (10...1_800).contains(self.timeout) else { throw ValidationError("--timeout is 10 to 1800 seconds.") }
        }

        func run() async throws {
            var failed = false
            var rows: [[String: Any]] = []
            for category in self.category == "all" ? Self.order : [self.category] {
                let started =
                    try await self.connection.call(
                        .POST,
                        "/admin/v1/incidents/drills",
                        body: ["category": category, "timeout_seconds": self.timeout, "approve": !self.noApprove]
                    ) as? [String: Any] ?? [:]
                let id = started["id"] as? String ?? ""
                var report = started
                while report["state"] as? String == "running" {
                    try await Task.sleep(for: .milliseconds(250))
                    report =
                        try await self.connection.call(.GET, "/admin/v1/incidents/drills/\(TenancyTable.escape(id))")
                        as? [String: Any] ?? [:]
                }
                if report["state"] as? String != "passed" { failed = true }
                if self.json {
                    try Agents.printJSON(report)
                } else {
                    Self.printReport(report)
                }
                rows.append([
                    "category": category, "state": report["state"] ?? "?",
                    "detected": Self.seconds(report["detected_after_ms"]),
                    "contained": Self.seconds(report["contained_after_ms"]),
                    "steps": (report["steps"] as? [[String: Any]])?.count ?? 0,
                    "incident": report["incident"] as? String ?? "-",
                ])
            }
            if !self.json, rows.count > 1 {
                TenancyTable.print(rows, columns: ["category", "state", "detected", "contained", "steps", "incident"])
            }
            if failed { throw ExitCode(1) }
        }

        static func seconds(_ milliseconds: Any?) -> String {
            guard let value = milliseconds as? Int else { return "-" }
            return String(format: "%.1f s", Double(value) / 1_000)
        }

        static func printReport(_ report: [String: Any]) {
            print(
                "Drill \(report["id"] as? String ?? "?") \(report["category"] as? String ?? "?") on \(report["model"] as? String ?? "?"): \(report["state"] as? String ?? "?")"
            )
            print("  fault: \(report["fault"] as? String ?? "")  (\(report["requests"] as? Int ?? 0) requests)")
            if let incident = report["incident"] as? String {
                print("  incident \(incident), detector \(report["detector"] as? String ?? "?")")
            }
            print(
                "  detected after \(Self.seconds(report["detected_after_ms"])), contained after \(Self.seconds(report["contained_after_ms"])), resolved after \(Self.seconds(report["resolved_after_ms"]))"
            )
            for step in report["steps"] as? [[String: Any]] ?? [] {
                let reference = "\(step["playbook"] as? String ?? "").\(step["step"] as? Int ?? 0)"
                let approved = step["approved_by_drill"] as? Bool == true ? " (approved by the drill)" : ""
                print(
                    "  \(reference)  \(step["action"] as? String ?? "")  \(step["state"] as? String ?? "")  \(Self.seconds(step["after_ms"]))\(approved)  \(step["result"] as? String ?? "")"
                )
            }
            for note in report["notes"] as? [String] ?? [] { print("  note: \(note)") }
            if let error = report["error"] as? String { print("  error: \(error)") }
        }
    }

    static func change(_ connection: Keys.Connection, _ id: String, _ verb: String, _ body: [String: Any]) async throws
    {
        let changed =
            try await connection.call(.POST, "/admin/v1/incidents/\(TenancyTable.escape(id))/\(verb)", body: body)
            as? [String: Any]
        print(
            "Incident \(id): \(changed?["state"] as? String ?? "?")"
                + ((changed?["owner"] as? String).map { ", owner \($0)" } ?? "")
        )
    }

    static func decide(
        _ connection: Keys.Connection,
        _ id: String,
        _ step: String,
        _ verb: String,
        _ reason: String?
    ) async throws {
        let decided =
            try await connection.call(
                .POST,
                "/admin/v1/incidents/\(TenancyTable.escape(id))/actions/\(TenancyTable.escape(step))/\(verb)",
                body: reason.map { ["reason": $0] } ?? [:]
            ) as? [String: Any]
        print("Step \(step) of \(id): \(decided?["state"] as? String ?? "?")")
    }
}
