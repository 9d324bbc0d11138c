import ArgumentParser
import Foundation
import NIOHTTP1

/// `keel costs`: cost reports through the admin API (`GET /admin/v1/costs`).
struct Costs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Cost reports from the gateway's rollups.",
        subcommands: [Report.self, Recommend.self]
    )

    struct Report: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Costs grouped by dimensions and time buckets, as a table or CSV.",
            discussion: """
                Example: keel costs report --group-by team,model --from 2026-11-01 --to 2026-12-01 --interval day
                Times are Unix seconds or RFC 3339 dates/date-times (UTC); the range is [from, to),
                by default the last 30 days.
                """
        )

        @OptionGroup var connection: Keys.Connection
        @Option(help: "Comma-separated: org, team, project, user, key, model, provider, tag:<key>.") var groupBy: String?
        @Option(help: "Start (inclusive): Unix seconds or an RFC 3339 date or date-time.") var from: String?
        @Option(help: "End (exclusive): Unix seconds or an RFC 3339 date or date-time.") var to: String?
        @Option(help: "minute, hour, day or none (default: day).") var interval: String?
        @Option(help: "Only this organisation.") var org: String?
        @Option(help: "Only this team.") var team: String?
        @Option(help: "Only this project.") var project: String?
        @Option(help: "Only this user.") var user: String?
        @Option(help: "Only this key id.") var key: String?
        @Option(help: "Only this model.") var model: String?
        @Option(help: "Only this provider.") var provider: String?
        @Option(help: "Only requests with this tag, key:value.") var tag: String?
        @Option(help: "table or csv (default: table).") var format: String = "table"

        func validate() throws {
            guard ["table", "csv"].contains(self.format) else { throw ValidationError("--format is table or csv.") }
        }

        func run() async throws {
            var components = URLComponents()
            components.path = "/admin/v1/costs"
            let pairs: [(String, String?)] = [
                ("group_by", self.groupBy), ("from", self.from), ("to", self.to), ("interval", self.interval),
                ("org", self.org), ("team", self.team), ("project", self.project), ("user", self.user),
                ("key", self.key), ("model", self.model), ("provider", self.provider), ("tag", self.tag),
            ]
            components.queryItems = pairs.compactMap { name, value in value.map { URLQueryItem(name: name, value: $0) } }
            // `+` is a space in query strings; encode it so RFC 3339 offsets survive.
            let path = (components.string ?? "/admin/v1/costs").replacingOccurrences(of: "+", with: "%2B")
            let report = try await self.connection.call(.GET, path) as? [String: Any] ?? [:]
            print(Self.render(report, csv: self.format == "csv"), terminator: "")
        }

        static let sumColumns: [(header: String, field: String)] = [
            ("requests", "requests"), ("errors", "errors"), ("input_tokens", "input_tokens"),
            ("output_tokens", "output_tokens"), ("cached_input_tokens", "cached_input_tokens"),
            ("cache_write_tokens", "cache_write_tokens"), ("reasoning_tokens", "reasoning_tokens"),
            ("cost_usd", "cost_usd"), ("estimated_cost_usd", "estimated_cost_usd"), ("cache_hits", "cache_hits"), ("cache_saved_usd", "cache_saved_usd"),
        ]

        /// The report as an aligned table (with a total line) or as CSV (RFC 4180, no total).
        static func render(_ report: [String: Any], csv: Bool) -> String {
            let groupBy = report["group_by"] as? [String] ?? []
            let rows = report["data"] as? [[String: Any]] ?? []
            let hasBucket = (report["interval"] as? String ?? "none") != "none"
            var header: [String] = hasBucket ? ["bucket"] : []
            header += groupBy
            header += Self.sumColumns.map(\.header)
            func cell(_ value: Any?) -> String {
                switch value {
                case let text as String: text
                case let number as NSNumber: number.stringValue
                default: csv ? "" : "-"
                }
            }
            func line(_ row: [String: Any]) -> [String] {
                var cells: [String] = []
                if hasBucket {
                    let bucket = (row["bucket"] as? NSNumber)?.doubleValue ?? 0
                    cells.append(ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: bucket)))
                }
                cells += groupBy.map { cell(row[$0]) }
                cells += Self.sumColumns.map { cell(row[$0.field]) }
                return cells
            }
            var lines = rows.map(line)
            if csv {
                func quoted(_ text: String) -> String {
                    text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" })
                        ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
                }
                return ([header] + lines).map { $0.map(quoted).joined(separator: ",") }.joined(separator: "\n") + "\n"
            }
            if let total = report["total"] as? [String: Any] {
                var cells = Array(repeating: "", count: header.count - Self.sumColumns.count)
                if !cells.isEmpty { cells[0] = "TOTAL" }
                cells += Self.sumColumns.map { cell(total[$0.field]) }
                lines.append(cells)
            }
            let table = [header.map { $0.uppercased() }] + lines
            let widths = header.indices.map { column in table.map { $0[column].count }.max() ?? 0 }
            return table.map { cells in
                cells.enumerated().map { index, text in
                    let padding = String(repeating: " ", count: widths[index] - text.count)
                    // Numbers right-aligned, names left-aligned.
                    return index >= header.count - Self.sumColumns.count ? padding + text : text + padding
                }
                .joined(separator: "  ")
                .trimmingTrailingSpaces
            }
            .joined(separator: "\n") + "\n"
        }
    }
}

extension String {
    fileprivate var trimmingTrailingSpaces: String {
        var text = Substring(self)
        while text.last == " " { text.removeLast() }
        return String(text)
    }
}
