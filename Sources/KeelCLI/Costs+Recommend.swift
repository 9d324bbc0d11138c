import ArgumentParser
import Foundation
import NIOHTTP1

extension Costs {
    /// `keel costs recommend`: right-sizing suggestions (`GET /admin/v1/costs/recommendations`).
    struct Recommend: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Concrete ways to spend less, from the traffic of a window, as a table, JSON or CSV.",
            discussion: """
                Example: keel costs recommend --from 2026-11-01 --to 2026-12-01 --format csv
                Times are Unix seconds or RFC 3339 dates/date-times (UTC); the window is [from, to),
                by default the last 30 days. Savings and costs are projected to 30 days.
                """
        )

        @OptionGroup var connection: Keys.Connection
        @Option(help: "Start (inclusive): Unix seconds or an RFC 3339 date or date-time.") var from: String?
        @Option(help: "End (exclusive): Unix seconds or an RFC 3339 date or date-time.") var to: String?
        @Option(help: "table, json or csv (default: table).") var format: String = "table"

        func validate() throws {
            guard ["table", "json", "csv"].contains(self.format) else { throw ValidationError("--format is table, json or csv.") }
        }

        func run() async throws {
            var components = URLComponents()
            components.path = "/admin/v1/costs/recommendations"
            let pairs: [(String, String?)] = [("from", self.from), ("to", self.to)]
            components.queryItems = pairs.compactMap { name, value in value.map { URLQueryItem(name: name, value: $0) } }
            // `+` is a space in query strings; encode it so RFC 3339 offsets survive.
            let path = (components.string ?? "/admin/v1/costs/recommendations").replacingOccurrences(of: "+", with: "%2B")
            let answer = try await self.connection.call(.GET, path) as? [String: Any] ?? [:]
            if self.format == "json" {
                let data = try JSONSerialization.data(withJSONObject: answer, options: [.prettyPrinted, .sortedKeys])
                print(String(decoding: data, as: UTF8.self))
                return
            }
            print(Self.render(answer, csv: self.format == "csv"), terminator: "")
        }

        static let columns: [(header: String, value: @Sendable ([String: Any]) -> Any?)] = [
            ("kind", { $0["kind"] }),
            ("scope", { $0["scope"] }),
            ("model", { $0["model"] }),
            ("current_model", { $0["current_model"] }),
            ("suggested_model", { $0["suggested_model"] }),
            ("requests", { ($0["evidence"] as? [String: Any])?["requests"] }),
            ("avg_input_tokens", { ($0["evidence"] as? [String: Any])?["avg_input_tokens"] }),
            ("avg_output_tokens", { ($0["evidence"] as? [String: Any])?["avg_output_tokens"] }),
            ("monthly_cost_usd", { ($0["evidence"] as? [String: Any])?["current_monthly_cost_usd"] }),
            ("monthly_saving_usd", { $0["projected_monthly_saving_usd"] }),
            ("action", { $0["action"] }),
        ]

        /// The suggestions as an aligned table (with a total saving line) or as CSV (RFC 4180).
        static func render(_ answer: [String: Any], csv: Bool) -> String {
            let rows = answer["data"] as? [[String: Any]] ?? []
            let header = Self.columns.map(\.header)
            func cell(_ value: Any?) -> String {
                switch value {
                case let text as String: text
                case let number as NSNumber: number.stringValue
                default: csv ? "" : "-"
                }
            }
            var lines = rows.map { row in Self.columns.map { cell($0.value(row)) } }
            if csv {
                func quoted(_ text: String) -> String {
                    text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" })
                        ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
                }
                return ([header] + lines).map { $0.map(quoted).joined(separator: ",") }.joined(separator: "\n") + "\n"
            }
            if rows.isEmpty { return "No recommendations for this window.\n" }
            var total = Array(repeating: "", count: header.count)
            total[0] = "TOTAL"
            total[header.count - 2] = cell(answer["projected_monthly_saving_usd"])
            lines.append(total)
            // The action is long: it goes last and is not padded.
            let table = [header.map { $0.uppercased() }] + lines
            let widths = header.indices.map { column in table.map { $0[column].count }.max() ?? 0 }
            return table.map { cells in
                var text = ""
                for (index, value) in cells.enumerated() {
                    if index > 0 { text += "  " }
                    text += index == cells.count - 1 ? value : value + String(repeating: " ", count: widths[index] - value.count)
                }
                while text.last == " " { text.removeLast() }
                return text
            }
            .joined(separator: "\n") + "\n"
        }
    }
}
