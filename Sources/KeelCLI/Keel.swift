import ArgumentParser

/// The `keel` command. `main.swift` parses it, sizes the event-loop group, and runs it.
struct Keel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keel",
        abstract: "Keel: the LLM gateway and AI operations platform.",
        subcommands: [
            Serve.self, Simulate.self, ConfigCommand.self, Keys.self, Costs.self, Budgets.self, RateLimits.self,
            Policies.self, Agents.self, Tasks.self, Orgs.self, Teams.self, Projects.self, Users.self, Top.self,
            Audit.self,
            Compliance.self, Escalations.self, Incidents.self,
        ]
    )
}
