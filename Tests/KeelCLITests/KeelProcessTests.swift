import Foundation
#if canImport(Glibc)
import Glibc
#endif
import KeelCore
import KeelStorage
import KeelStorageSQLite
import KeelTesting
import Logging
import Testing

/// The `keel` executable as a user runs it: a real process, a config file, signals.
@Suite("The keel command", .serialized)
struct KeelProcessTests {
    /// `keel`, built next to this test bundle by `swift build --build-tests`.
    static let binary: URL? = {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("keel")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return nil
    }()

    struct Run {
        let status: Int32
        let output: String
    }

    static func run(_ arguments: [String], environment: [String: String] = [:]) async throws -> Run {
        let completed = try await ChildProcess.run(
            try #require(Self.binary).path,
            arguments,
            environment: ProcessInfo.processInfo.environment.merging(environment) { $1 }
        )
        return Run(status: completed.termination.status, output: completed.output)
    }

    static func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keel-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    @Test func configCheckReportsEachProblemWithItsKey() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let bad = directory.appendingPathComponent("bad.yaml")
        try """
            server: { port: 70000 }
            providers: [ { name: up, kind: openai } ]
            models: [ { name: m, routes: [ { provider: nope, model: x } ] } ]
            """.write(to: bad, atomically: true, encoding: .utf8)
        let failed = try await Self.run(["config", "check", bad.path])
        #expect(failed.status == 1)
        #expect(failed.output.contains("server.port"))
        #expect(failed.output.contains("providers[0].base_url"))
        #expect(failed.output.contains("models[0].routes[0].provider"))

        let good = directory.appendingPathComponent("good.yaml")
        try """
            providers: [ { name: up, kind: openai, base_url: "http://127.0.0.1:9/v1", api_key: "${UP_KEY}" } ]
            models: [ { name: m, routes: [ { provider: up, model: x } ] } ]
            """.write(to: good, atomically: true, encoding: .utf8)
        #expect(try await Self.run(["config", "check", good.path], environment: ["UP_KEY": "k"]).status == 0)
        let missing = try await Self.run(["config", "check", good.path], environment: ["UP_KEY": ""])
        #expect(missing.status == 1 && missing.output.contains("UP_KEY"))
        // `serve` refuses to start on the same errors.
        let serve = try await Self.run(["serve", "--config", bad.path])
        #expect(serve.status != 0 && serve.output.contains("server.port"))
    }

    @Test func serveKeysAndSigtermLeaveOneRecordPerRequest() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("keel.yaml")
        try """
            server: { port: 0 }
            storage: { url: "sqlite://\(directory.path)/keel.sqlite" }
            providers: [ { name: sim, kind: simulator } ]
            models:
              - { name: keel-sim-chat, routes: [ { provider: sim, model: keel-sim-chat } ] }
            """.write(to: config, atomically: true, encoding: .utf8)

        // The first start prints the generated admin key and a curl line that works as printed.
        let started = try await GatewayProcess.start(config: config, log: directory.appendingPathComponent("keel.log"))
        let (server, port, printed) = (started.server, started.port, started.printed)
        defer { server.signal(SIGKILL) }
        let adminKey = try #require(printed.split(separator: "\n").first { $0.contains("sk-keel-admin-") }.map {
            String($0.trimmingCharacters(in: .whitespaces))
        })
        let curlLine = try #require(printed.split(separator: "\n").first { $0.contains("curl ") })
        let curl = try await Self.shell(String(curlLine))
        #expect(curl.contains(#""object":"chat.completion""#))

        let environment = ["KEEL_URL": "http://127.0.0.1:\(port)", "KEEL_ADMIN_KEY": adminKey]
        // Keys bind to rows of the tenancy tree, created through the CLI too.
        #expect(try await Self.run(["orgs", "create", "--id", "acme", "--name", "Acme"], environment: environment).status == 0)
        #expect(try await Self.run(["teams", "create", "--id", "search", "--org", "acme", "--name", "Search"], environment: environment).status == 0)
        #expect(try await Self.run(["projects", "create", "--id", "ranking", "--team", "search", "--name", "Ranking"], environment: environment).status == 0)
        let created = try await Self.run(["keys", "create", "--team", "search", "--project", "ranking", "--expires-in", "30d"], environment: environment)
        #expect(created.status == 0)
        let key = try #require(created.output.split(separator: "\n").last.map(String.init))
        #expect(key.hasPrefix("sk-keel-"))
        let listed = try await Self.run(["keys", "list"], environment: environment)
        #expect(listed.output.contains("search") && listed.output.contains("active") && !listed.output.contains(key))

        var sent = 1  // the curl line
        for index in 0..<20 {
            let answer = try await Self.shell(
                "curl -s http://127.0.0.1:\(port)/v1/chat/completions -H 'Authorization: Bearer \(key)' -d '{\"model\":\"keel-sim-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"n \(index)\"}]}'"
            )
            #expect(answer.contains("chat.completion"))
            sent += 1
        }
        let id = try #require(listed.output.split(separator: "\n").first { $0.contains("search") }?.split(separator: "\t").first.map(String.init))
        #expect(try await Self.run(["keys", "revoke", id], environment: environment).status == 0)
        let refused = try await Self.shell(
            "curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:\(port)/v1/chat/completions -H 'Authorization: Bearer \(key)' -d '{\"model\":\"keel-sim-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}'"
        )
        #expect(refused == "401")

        server.signal(SIGTERM)
        #expect(await server.wait() == .exited(0))

        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let backend = try await SQLiteBackend.open(path: directory.path + "/keel.sqlite", logger: logger)
        defer { try? backend.close() }
        let records = try await backend.stores.requests.records(matching: RequestRecordQuery(limit: 1_000))
        #expect(records.count == sent)
        #expect(records.filter { $0.teamID?.rawValue == "search" }.count == 20)
    }

    @Test func tenancyCommandsAndRoleKeysWorkThroughTheAdminAPI() async throws {
        try await GatewayProcess.run(ready: ["orgs", "list"]) { gateway in
            let port = gateway.port
            let admin = gateway.admin

            #expect(try await Self.run(["orgs", "create", "--id", "acme", "--name", "Acme"], environment: admin).status == 0)
            #expect(try await Self.run(["teams", "create", "--id", "search", "--org", "acme", "--name", "Search"], environment: admin).status == 0)
            #expect(try await Self.run(["teams", "create", "--id", "ads", "--org", "acme", "--name", "Ads"], environment: admin).status == 0)
            #expect(try await Self.run(["projects", "create", "--id", "ranking", "--team", "search", "--name", "Ranking"], environment: admin).status == 0)
            let user = try await Self.run(["users", "create", "--org", "acme", "--name", "Ada", "--email", "ada@acme.test", "--default-team", "search"], environment: admin)
            #expect(user.status == 0 && user.output.contains("ada@acme.test"))
            let teams = try await Self.run(["teams", "list", "--org", "acme"], environment: admin)
            #expect(teams.output.split(separator: "\n").count == 3 && teams.output.contains("ads\tacme\tAds"))
            #expect(try await Self.run(["projects", "get", "ranking"], environment: admin).output.contains("ranking\tsearch\tRanking"))

            // A viewer key of team search, made with the CLI, reads its team and nothing else.
            let created = try await Self.run(["keys", "create", "--team", "search", "--role", "viewer", "--tags", "env=prod,cost-center=42"], environment: admin)
            #expect(created.status == 0 && created.output.contains("team search"))
            let viewerKey = try #require(created.output.split(separator: "\n").last.map(String.init))
            let viewer = ["KEEL_URL": "http://127.0.0.1:\(port)", "KEEL_ADMIN_KEY": viewerKey]
            let visible = try await Self.run(["teams", "list"], environment: viewer)
            #expect(visible.status == 0 && visible.output.contains("search") && !visible.output.contains("ads"))
            let refused = try await Self.run(["teams", "delete", "ads"], environment: viewer)
            #expect(refused.status != 0 && refused.output.contains("may not"))
            #expect(try await Self.run(["keys", "list"], environment: admin).output.contains("viewer"))

            // `keel top` draws the live metrics once the gateway has served something; a viewer may not.
            let answered = try await Self.shell(
                "curl -s http://127.0.0.1:\(port)/v1/chat/completions -H 'authorization: Bearer sk-keel-admin-cli-test-0123456789' "
                    + "-H 'content-type: application/json' -d '{\"model\":\"keel-sim-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}'"
            )
            #expect(answered.contains("chat.completion"))
            var top = try await Self.run(["top", "--count", "1", "--window", "1m"], environment: admin)
            for _ in 0..<40 where !top.output.contains("keel-sim-chat") {
                try await Task.sleep(for: .milliseconds(50))
                top = try await Self.run(["top", "--count", "1", "--window", "1m"], environment: admin)
            }
            #expect(top.status == 0)
            #expect(top.output.contains("REQ/MIN") && top.output.contains("keel-sim-chat"))
            #expect(try await Self.run(["top", "--count", "1"], environment: viewer).status != 0)

            // Deletion is refused while children exist, then succeeds from the leaves up.
            let busy = try await Self.run(["orgs", "delete", "acme"], environment: admin)
            #expect(busy.status != 0)
            #expect(try await Self.run(["teams", "delete", "ads"], environment: admin).status == 0)
            #expect(try await Self.run(["orgs", "get", "acme"], environment: admin).output.contains("Acme"))
            #expect(try await Self.run(["teams", "get", "ads"], environment: admin).status != 0)
        }
    }

    @Test func everyTenancyGroupListsWithItsFiltersShowsAndDeletes() async throws {
        try await GatewayProcess.run(ready: ["orgs", "list"]) { gateway in
            let admin = gateway.admin
            for arguments in [
                ["orgs", "create", "--id", "acme", "--name", "Acme"],
                ["orgs", "create", "--id", "globex", "--name", "Globex"],
                ["teams", "create", "--id", "search", "--org", "acme", "--name", "Search"],
                ["teams", "create", "--id", "labs", "--org", "globex", "--name", "Labs"],
                ["projects", "create", "--id", "ranking", "--team", "search", "--name", "Ranking"],
                ["projects", "create", "--id", "lab", "--team", "labs", "--name", "Lab"],
                ["users", "create", "--id", "ada", "--org", "acme", "--name", "Ada", "--default-team", "search"],
                ["users", "create", "--id", "dee", "--org", "globex", "--name", "Dee"],
            ] {
                let created = try await Self.run(arguments, environment: admin)
                #expect(created.status == 0, "\(arguments): \(created.output)")
            }
            let orgs = try await Self.run(["orgs", "list"], environment: admin)
            #expect(orgs.output.hasPrefix("ID\tNAME\tCREATED_AT\n") && orgs.output.split(separator: "\n").count == 3)
            #expect(try await Self.run(["orgs", "get", "globex"], environment: admin).output.contains("globex\tGlobex\t"))
            let projects = try await Self.run(["projects", "list", "--org", "globex"], environment: admin)
            #expect(projects.output.contains("lab\tlabs\tLab") && !projects.output.contains("ranking"))
            let teamProjects = try await Self.run(["projects", "list", "--team", "search"], environment: admin)
            #expect(teamProjects.output.contains("ranking\tsearch\tRanking") && !teamProjects.output.contains("labs"))
            let users = try await Self.run(["users", "list", "--team", "search"], environment: admin)
            #expect(users.output.hasPrefix("ID\tORG\tDEFAULT_TEAM\tNAME\tEMAIL\tCREATED_AT\n"))
            #expect(users.output.contains("ada\tacme\tsearch\tAda\t-\t") && !users.output.contains("dee"))
            #expect(try await Self.run(["users", "list", "--org", "globex"], environment: admin).output.contains("dee\tglobex\t-\tDee"))
            #expect(try await Self.run(["users", "get", "dee"], environment: admin).output.contains("dee\tglobex"))
            for (group, id, noun) in [
                ("projects", "lab", "project"), ("users", "dee", "user"), ("teams", "labs", "team"), ("orgs", "globex", "org"),
            ] {
                let deleted = try await Self.run([group, "delete", id], environment: admin)
                #expect(deleted.status == 0 && deleted.output.contains("Deleted \(noun) \(id)."), "\(deleted.output)")
            }
            let gone = try await Self.run(["orgs", "get", "globex"], environment: admin)
            #expect(gone.status != 0 && gone.output.contains("No org with id 'globex'."))
        }
    }

    static func shell(_ command: String) async throws -> String {
        try await ChildProcess.run("/bin/sh", ["-c", command], standardError: .inherit).output
    }
}
