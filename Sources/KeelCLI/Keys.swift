import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// `keel keys create|list|revoke`: client keys, through the admin API of a running gateway.
///
/// `Keys.Connection` is the admin API client of every command that talks to a running gateway
/// (`keys`, `orgs`, `teams`, `projects`, `users`).
struct Keys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage client (virtual) keys through the admin API.",
        subcommands: [Create.self, List.self, Revoke.self]
    )

    struct Connection: ParsableArguments {
        @Option(name: .long, help: "Gateway URL (default: $KEEL_URL, else http://127.0.0.1:8080).")
        var url: String?

        @Option(name: .long, help: "Admin key, or a key with an admin role (default: $KEEL_ADMIN_KEY).")
        var adminKey: String?

        func call(_ method: HTTPMethod, _ path: String, body: [String: Any]? = nil) async throws -> Any {
            let environment = ProcessInfo.processInfo.environment
            let base = self.url ?? environment["KEEL_URL"] ?? "http://127.0.0.1:8080"
            guard let key = self.adminKey ?? environment["KEEL_ADMIN_KEY"], !key.isEmpty else {
                throw ValidationError("Give the admin key with --admin-key or KEEL_ADMIN_KEY.")
            }
            var request = HTTPClientRequest(url: base + path)
            request.method = method
            request.headers.add(name: "authorization", value: "Bearer " + key)
            if let body {
                request.headers.add(name: "content-type", value: "application/json")
                request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body)))
            }
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            let bytes = try await response.body.collect(upTo: 64 << 20)
            let json = try JSONSerialization.jsonObject(with: Data(bytes.readableBytesView))
            guard (200..<300).contains(response.status.code) else {
                let message = ((json as? [String: Any])?["error"] as? [String: Any])?["message"] as? String ?? "HTTP \(response.status.code)"
                throw ValidationError(message)
            }
            return json
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a key; prints it once.")

        @OptionGroup var connection: Connection
        @Option(help: "Organisation (default: the team's).") var org: String?
        @Option(help: "Team the key belongs to (default: the project's).") var team: String?
        @Option(help: "Project.") var project: String?
        @Option(help: "User.") var user: String?
        @Option(help: "Admin API role: admin, team_admin, viewer, auditor or none (default: none).") var role: String?
        @Option(help: "Comma-separated key=value tags of the key's requests.") var tags: String?
        @Option(help: "Name shown in lists.") var name: String?
        @Option(help: "Comma-separated model names the key may use (default: all).") var models: String?
        @Option(help: "Lifetime such as 30d, 12h, 45m.") var expiresIn: String?
        @Option(help: "A registered agent: the key's requests are that agent's.") var agent: String?

        func run() async throws {
            var body: [String: Any] = [:]
            if let org { body["org"] = org }
            if let team { body["team"] = team }
            if let project { body["project"] = project }
            if let user { body["user"] = user }
            if let role { body["role"] = role }
            if let tags { body["tags"] = try Self.parseTags(tags) }
            if let name { body["name"] = name }
            if let models { body["models"] = models.split(separator: ",").map { String($0) } }
            if let expiresIn { body["expires_in"] = expiresIn }
            if let agent { body["agent"] = agent }
            let created = try await self.connection.call(.POST, "/admin/v1/keys", body: body) as? [String: Any] ?? [:]
            let scope = (created["team"] as? String).map { "team \($0)" } ?? (created["org"] as? String).map { "org \($0)" } ?? "no team"
            print("Created key \(created["id"] ?? "?") for \(scope). It is shown only now:")
            print(created["key"] ?? "")
        }

        /// `a=1,b=2` as a map; a pair without `=` is an error.
        static func parseTags(_ text: String) throws -> [String: String] {
            var tags: [String: String] = [:]
            for pair in text.split(separator: ",") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                guard parts.count == 2, !parts[0].isEmpty else { throw ValidationError("Tags are key=value pairs separated by commas.") }
                tags[String(parts[0])] = String(parts[1])
            }
            return tags
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List keys (never their secrets).")

        @OptionGroup var connection: Connection

        func run() async throws {
            let listed = try await self.connection.call(.GET, "/admin/v1/keys") as? [String: Any] ?? [:]
            let keys = listed["data"] as? [[String: Any]] ?? []
            print(["ID", "PREFIX", "TEAM", "PROJECT", "MODELS", "STATE", "ORG", "ROLE"].joined(separator: "\t"))
            for key in keys {
                let state = (key["active"] as? Bool ?? false) ? "active" : (key["revoked_at"] is NSNull ? "expired" : "revoked")
                let models = (key["models"] as? [String]).map { $0.isEmpty ? "*" : $0.joined(separator: ",") } ?? "*"
                print([key["id"], key["key_prefix"], key["team"], key["project"]].map { value in
                    (value as? String) ?? "-"
                }.joined(separator: "\t") + "\t\(models)\t\(state)\t\(key["org"] as? String ?? "-")\t\(key["role"] as? String ?? "none")")
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a key; it stops working at once.")

        @OptionGroup var connection: Connection
        @Argument(help: "Key id (key_…).") var id: String

        func run() async throws {
            _ = try await self.connection.call(.DELETE, "/admin/v1/keys/\(self.id)")
            print("Revoked \(self.id).")
        }
    }
}
