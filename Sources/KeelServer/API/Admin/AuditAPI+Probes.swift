import Hummingbird
import KeelCore
import KeelStorage

extension AuditAPI {
    /// One probe result as JSON: `run_at` in Unix seconds.
    static func probeJSON(_ result: PolicyProbeResult) -> String {
        #"{"run_at":\#(result.runAt / 1_000_000),"instance_id":"# + JSONWriter.quoted(result.instanceID)
            + #","policy_id":"#
            + JSONWriter.quoted(result.policyID) + #","probe":"# + JSONWriter.quoted(result.probe)
            + #","passed":\#(result.passed)"#
            + #","expected":"# + JSONWriter.quoted(result.expected) + #","observed":"#
            + JSONWriter.quoted(result.observed) + "}"
    }

    /// `{"data":[…],"summary":{"probes","passed","failed"}}`.
    static func probesBody(_ results: [PolicyProbeResult]) -> String {
        let passed = results.filter(\.passed).count
        return #"{"data":["# + results.map(Self.probeJSON).joined(separator: ",")
            + #"],"summary":{"probes":\#(results.count),"passed":\#(passed),"failed":\#(results.count - passed)}}"#
    }

    /// `GET /admin/v1/compliance/probes?from=&to=` (Unix seconds): the policy probes' results of
    /// runs in `[from, to)`, oldest first, at most 10,000; without `from`, the latest run.
    func probes(_ request: Request, store: any PolicyStore) async throws -> Response {
        try self.authorizeAuditor(request)
        let parameters = request.uri.queryParameters
        guard let from = try AdminAPI.integer(parameters["from"], name: "from") else {
            return Gateway.json(Self.probesBody(try await store.latestProbeResults()))
        }
        let to = try AdminAPI.integer(parameters["to"], name: "to") ?? Int(WallClock.unixMicros() / 1_000_000) + 1
        guard to > from else { throw KeelError.invalidRequest("'to' must be after 'from'.", param: "to") }
        let results = try await store.probeResults(
            from: Int64(from) * 1_000_000,
            to: Int64(to) * 1_000_000,
            limit: 10_000
        )
        return Gateway.json(Self.probesBody(results))
    }

    /// `POST /admin/v1/compliance/probes/run`: probes every policy now, on this instance; the
    /// results are kept like those of the scheduled runs.
    func runProbes(_ request: Request, prober: PolicyProber) async throws -> Response {
        try self.authorizeAuditor(request)
        return Gateway.json(Self.probesBody(await prober.runAndKeep()))
    }

    static func addProbes(
        to router: Router<BasicRequestContext>,
        api: AuditAPI,
        store: any PolicyStore,
        prober: PolicyProber
    ) {
        router.get("admin/v1/compliance/probes") { request, _ in try await api.probes(request, store: store) }
        router.post("admin/v1/compliance/probes/run") { request, _ in try await api.runProbes(request, prober: prober) }
    }
}
