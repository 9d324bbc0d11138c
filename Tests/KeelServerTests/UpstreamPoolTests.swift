import Foundation
import KeelCore
import KeelServer
import KeelSimulator
import KeelTesting
import NIOHTTP1
import Testing

/// The upstream connection pool at its limit: requests beyond `max_connections` wait for a
/// connection and are all served, none lost, whether the connections come back from finished
/// exchanges or are closed by the upstream.
@Suite("Upstream connection pool at its limit")
struct UpstreamPoolTests {
    @Test(arguments: [1, 2])
    func requestsBeyondTheLimitWaitForAConnectionAndAreAllServed(maxConnections: Int) async throws {
        try await TestKeel.run(configure: { configuration in
            configuration.providers[0].maxConnections = maxConnections
            configuration.router.maxRetries = 0
        }) { keel in
            keel.simulator.script.enqueue(
                try SimulatorDirectives(parsing: "latency_ms=5"),
                model: "keel-sim-chat",
                count: 48
            )
            let started = ContinuousClock.now
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<48 {
                    group.addTask {
                        let stream = index % 3 == 0
                        let response = try await keel.post(
                            "/v1/chat/completions",
                            json: chatBody("pool \(index)", extra: stream ? #""stream":true"# : "")
                        )
                        return response.status
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.count == 48 && statuses.allSatisfy { $0 == 200 }, "\(statuses)")
            // A request waiting for a release that never came would hang until the client's own
            // timeout (minutes); the full suite's load alone has stretched this to 36 s.
            #expect(ContinuousClock.now - started < .seconds(120), "no request waited for a release that never came")
            #expect(keel.simulator.requestCount(path: "/v1/chat/completions", model: "keel-sim-chat") == 48)
        }
    }

    @Test func connectionsTheUpstreamClosesFreeTheirSlots() async throws {
        try await TestKeel.run(configure: { configuration in
            configuration.providers[0].maxConnections = 1
            configuration.router.maxRetries = 0
        }) { keel in
            // Every other exchange is cut by the upstream (the connection closes): the pool's one
            // slot is freed each time and the next request gets it. A cut on a reused connection
            // is sent once more on a fresh one (the server may have closed it as we wrote), so
            // those requests are answered; a cut on a fresh connection reaches the client.
            var statuses: [Int] = []
            let started = ContinuousClock.now
            for index in 0..<8 {
                if index % 2 == 0 {
                    keel.simulator.script.enqueue(
                        try SimulatorDirectives(parsing: "fault=drop"),
                        model: "keel-sim-chat",
                        count: 1
                    )
                }
                statuses.append(try await keel.post("/v1/chat/completions", json: chatBody("closing \(index)")).status)
            }
            #expect(statuses.first == 502, "the first exchange runs on a fresh connection: \(statuses)")
            #expect(statuses.allSatisfy { $0 == 200 || $0 == 502 }, "\(statuses)")
            #expect(statuses.enumerated().allSatisfy { $0.offset % 2 == 0 || $0.element == 200 }, "\(statuses)")
            #expect(ContinuousClock.now - started < .seconds(30))
        }
    }
}
