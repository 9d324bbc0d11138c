import Foundation
import Testing

/// `keel costs report` against a real gateway process.
@Suite("keel costs report", .serialized)
struct CostsCommandTests {
    @Test func reportsAsATableAndAsCSVThroughTheAdminAPI() async throws {
        try await GatewayProcess.run(ready: ["costs", "report"]) { gateway in
            let port = gateway.port
            let admin = gateway.admin
            for env in ["prod", "prod", "dev"] {
                let answered = try await KeelProcessTests.shell(
                    "curl -s http://127.0.0.1:\(port)/v1/chat/completions -H 'authorization: Bearer sk-keel-admin-cli-test-0123456789' "
                        + "-H 'x-keel-tags: env=\(env)' -H 'content-type: application/json' "
                        + "-d '{\"model\":\"keel-sim-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}'")
                #expect(answered.contains("chat.completion"))
            }
            let arguments = ["costs", "report", "--group-by", "tag:env,model", "--interval", "none", "--format", "csv"]
            var csv = try await KeelProcessTests.run(arguments, environment: admin)
            // The three records reach the rollups in batches, the last one possibly after the others.
            for _ in 0..<100 where !csv.output.contains("prod,keel-sim-chat,2,") || !csv.output.contains("dev,keel-sim-chat,1,") {
                try await Task.sleep(for: .milliseconds(50))
                csv = try await KeelProcessTests.run(arguments, environment: admin)
            }
            #expect(csv.status == 0)
            let lines = csv.output.split(separator: "\n")
            #expect(lines.first == "tag:env,model,requests,errors,input_tokens,output_tokens,cached_input_tokens,cache_write_tokens,reasoning_tokens,cost_usd,estimated_cost_usd,cache_hits,cache_saved_usd")
            #expect(lines.count == 3 && lines[1].hasPrefix("dev,keel-sim-chat,1,0,") && lines[2].hasPrefix("prod,keel-sim-chat,2,0,"))
            // No response cache in this gateway: no hits, nothing saved.
            #expect(lines.dropFirst().allSatisfy { $0.split(separator: ",").suffix(2).first == "0" })

            let today = ISO8601DateFormatter().string(from: Date()).prefix(10)
            let table = try await KeelProcessTests.run(
                ["costs", "report", "--group-by", "model", "--from", String(today), "--interval", "day"], environment: admin)
            #expect(table.status == 0)
            #expect(table.output.contains("BUCKET") && table.output.contains("\(today)T00:00:00Z  keel-sim-chat"), "\(table.output)")
            #expect(table.output.contains("TOTAL"))

            let refused = try await KeelProcessTests.run(["costs", "report", "--group-by", "colour"], environment: admin)
            #expect(refused.status != 0 && refused.output.contains("group_by"))
        }
    }
}
