import ArgumentParser
import Foundation
import NIOHTTP1

/// `keel top`: a live terminal view of the gateway's metrics, refreshed in place, from
/// `GET /admin/v1/metrics/summary`.
struct Top: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show live metrics per model, provider, deployment or team, refreshed in place."
    )

    @OptionGroup var connection: Keys.Connection
    @Option(help: "Group by model, provider, deployment or team.") var by: String = "model"
    @Option(help: "Window: 1m, 5m or 1h.") var window: String = "1m"
    @Option(help: "Seconds between refreshes.") var interval: Double = 2
    @Option(help: "Refresh this many times, then exit (default: until interrupted).") var count: Int?

    func run() async throws {
        var shown = 0
        while self.count.map({ shown < $0 }) ?? true {
            let summary = try await self.connection.call(.GET, "/admin/v1/metrics/summary?by=\(self.by)&window=\(self.window)")
            let table = Self.render(summary as? [String: Any] ?? [:], by: self.by, window: self.window)
            // Clear the screen and draw from the top when writing to a terminal.
            let clear = isatty(STDOUT_FILENO) != 0 ? "\u{1B}[H\u{1B}[2J" : ""
            FileHandle.standardOutput.write(Data((clear + table + "\n").utf8))
            shown += 1
            if self.count.map({ shown >= $0 }) ?? false { break }
            try await Task.sleep(for: .milliseconds(Int(self.interval * 1_000)))
        }
    }

    /// The summary as a fixed-width table, busiest group first.
    static func render(_ summary: [String: Any], by: String, window: String) -> String {
        let groups = (summary["groups"] as? [[String: Any]] ?? []).sorted {
            ($0["requests"] as? Int ?? 0) > ($1["requests"] as? Int ?? 0)
        }
        let header = [by.uppercased(), "REQ/MIN", "ERR%", "TTFT p50", "TTFT p95", "LAT p50", "LAT p99", "TOK/S p50", "TOK/MIN", "$/REQ"]
        var rows: [[String]] = [header]
        for group in groups {
            let name = group[by] as? String ?? "-"
            let ttft = group["ttft_ms"] as? [String: Any]
            let latency = group["latency_ms"] as? [String: Any]
            let speed = group["output_tokens_per_second"] as? [String: Any]
            let costPerRequest = Double(group["cost_per_request_nanos"] as? Int ?? 0) / 1e9
            rows.append([
                name,
                Self.number(group["requests_per_minute"], digits: 1),
                Self.number((group["error_rate"] as? Double).map { $0 * 100 }, digits: 1),
                Self.number(ttft?["p50"], digits: 0) + "ms",
                Self.number(ttft?["p95"], digits: 0) + "ms",
                Self.number(latency?["p50"], digits: 0) + "ms",
                Self.number(latency?["p99"], digits: 0) + "ms",
                Self.number(speed?["p50"], digits: 0),
                Self.number(group["tokens_per_minute"], digits: 0),
                String(format: "%.6f", costPerRequest),
            ])
        }
        var widths = Array(repeating: 0, count: header.count)
        for row in rows { for (column, cell) in row.enumerated() { widths[column] = max(widths[column], cell.count) } }
        var lines = ["keel top — by \(by), last \(window) (\(groups.count) groups)", ""]
        for row in rows {
            lines.append(row.enumerated().map { column, cell in
                column == 0 ? cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[column] - cell.count) + cell
            }.joined(separator: "  "))
        }
        return lines.joined(separator: "\n")
    }

    private static func number(_ value: Any?, digits: Int) -> String {
        guard let value = value as? Double ?? (value as? Int).map(Double.init) else { return "-" }
        return String(format: "%.\(digits)f", value)
    }
}
