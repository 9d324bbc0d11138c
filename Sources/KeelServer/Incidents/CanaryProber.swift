import HTTPTypes
import Hummingbird
import KeelCore
import KeelOps
import KeelProviders
import KeelStorage
import Logging
import NIOCore
import Synchronization

/// Runs the canary probes (`incidents.canaries`): each sends its prompt on its schedule through
/// the gateway's own data plane (in process: authentication, routing, failover and recording as
/// for any client, attributed with the tag `canary=<name>`), and checks the answer: a success, not
/// cut short (`length`) or filtered, and meeting the canary's expectation. A failure is a
/// model-degradation detection.
///
/// Of the instances sharing a database, one runs each probe per interval (a claim in the setting
/// store). Each probe stays within its daily budget on this instance.
final class CanaryProber: Sendable {
    struct Result: Sendable {
        var canary: String
        var model: String
        var at: Int64
        var passed: Bool
        var failures: [String]
        var requestID: String?
        var costUSD: Double
    }

    private struct State {
        var due: [String: Int64] = [:]
        var spent: [String: (day: Int64, usd: Double)] = [:]
        var last: [String: Result] = [:]
    }

    let canaries: [KeelConfiguration.Canary]
    private let gateway: Gateway
    private let adminKey: String
    private let settings: any SettingStore
    private let instanceID: String
    private let report: @Sendable (Detection) -> Void
    private let logger: Logger
    private let state = Mutex(State())

    init(
        canaries: [KeelConfiguration.Canary],
        gateway: Gateway,
        adminKey: String,
        settings: any SettingStore,
        instanceID: String,
        logger: Logger,
        report: @escaping @Sendable (Detection) -> Void
    ) {
        self.canaries = canaries
        self.gateway = gateway
        self.adminKey = adminKey
        self.settings = settings
        self.instanceID = instanceID
        self.logger = logger
        self.report = report
    }

    /// The last result of each canary run here, by name.
    var lastResults: [Result] { self.state.withLock { $0.last.values.sorted { $0.canary < $1.canary } } }

    /// Runs the canaries due at `now`.
    func tick(now: Int64) async {
        for canary in self.canaries {
            let interval = Int64(canary.intervalSeconds) * 1_000_000
            let due = self.state.withLock { state -> Bool in
                guard (state.due[canary.name] ?? 0) <= now else { return false }
                state.due[canary.name] = now + interval
                return true
            }
            guard due else { continue }
            let day = now / 86_400_000_000
            let spent = self.state.withLock { $0.spent[canary.name].flatMap { $0.day == day ? $0.usd : nil } ?? 0 }
            guard spent < canary.dailyBudgetUSD else { continue }
            do {
                let claimed = try await self.settings.insertIfAbsent(
                    self.instanceID,
                    for: "canary:\(canary.name):\(now / interval)"
                )
                guard claimed == self.instanceID else { continue }
            } catch {
                self.logger.warning(
                    "A canary probe could not claim its run",
                    metadata: ["keel.canary": "\(canary.name)", "error.message": "\(error)"]
                )
                continue
            }
            let result = await self.probe(canary, at: now)
            self.state.withLock { state in
                state.last[canary.name] = result
                let previous = state.spent[canary.name].flatMap { $0.day == day ? $0.usd : nil } ?? 0
                state.spent[canary.name] = (day, previous + result.costUSD)
            }
            self.judge(result, of: canary, at: now)
        }
    }

    /// Probes `canary` now, outside its schedule and budget (a drill's canary), and reports a
    /// failure as the scheduled probes do.
    @discardableResult
    func probeNow(_ canary: KeelConfiguration.Canary, at now: Int64) async -> Result {
        let result = await self.probe(canary, at: now)
        self.judge(result, of: canary, at: now)
        return result
    }

    /// A failed probe is a model-degradation detection.
    private func judge(_ result: Result, of canary: KeelConfiguration.Canary, at now: Int64) {
        guard !result.passed else { return }
        self.report(
            Detection(
                category: .modelDegradation,
                severity: .medium,
                scope: IncidentScope(model: canary.model),
                detector: "canary_probe",
                summary: "Canary '\(canary.name)' failed on model '\(canary.model)': "
                    + result.failures.joined(separator: "; "),
                requestIDs: result.requestID.map { [$0] } ?? [],
                values: ["failures": Double(result.failures.count)],
                at: now
            )
        )
    }

    /// Sends one canary's prompt and judges the answer.
    func probe(_ canary: KeelConfiguration.Canary, at now: Int64) async -> Result {
        var messages: [JSONValue] = []
        if let system = canary.system {
            messages.append(.object(["role": .string("system"), "content": .string(system)]))
        }
        messages.append(.object(["role": .string("user"), "content": .string(canary.prompt)]))
        let body = JSONValue.object([
            "model": .string(canary.model),
            "messages": .array(messages),
            "max_tokens": .int(canary.maxTokens),
        ])
        var fields = HTTPFields()
        fields[.authorization] = "Bearer " + self.adminKey
        fields[.contentType] = "application/json"
        fields[HTTPField.Name("x-keel-tags")!] = "canary=\(canary.name)"
        let request = Request(
            head: HTTPRequest(
                method: .post,
                scheme: nil,
                authority: nil,
                path: "/v1/chat/completions",
                headerFields: fields
            ),
            body: RequestBody(buffer: body.jsonBuffer)
        )
        var result = Result(
            canary: canary.name,
            model: canary.model,
            at: now,
            passed: false,
            failures: [],
            requestID: nil,
            costUSD: 0
        )
        do {
            var response = try await self.gateway.chatCompletions(request)
            result.requestID = response.headers[HTTPField.Name("x-keel-request-id")!]
            let collector = AdminChangeAuditMiddleware<BasicRequestContext>.BodyCollector()
            try await response.body.write(collector)
            response.body = ResponseBody()
            let answer = try? JSONValue(parsing: collector.buffer)
            let usage = collector.buffer.withUnsafeReadableBytes { try? OpenAIUsage.fromResponseBody($0) } ?? nil
            if let usage {
                result.costUSD = Double(self.gateway.prices.cost(of: usage, model: canary.model).rawValue) / 1e9
            }
            guard response.status == .ok else {
                result.failures = ["answered \(response.status.code)"]
                return result
            }
            let choice = answer?["choices"]?.array?.first
            let finish = choice?["finish_reason"]?.string.map(FinishReason.init(upstream:))
            if finish == .length { result.failures.append("the answer was cut at its token limit") }
            if finish == .contentFilter { result.failures.append("the answer was filtered") }
            let text = choice?["message"]?["content"]?.string ?? ""
            if choice?["message"]?["refusal"]?.string != nil { result.failures.append("the model refused") }
            result.failures += canary.expectation.failures(in: text)
        } catch let failure as RecordedFailure {
            result.requestID = failure.requestID
            result.failures = ["refused: \(failure.error.message)"]
        } catch {
            result.failures = ["failed: \(error)"]
        }
        result.passed = result.failures.isEmpty
        return result
    }
}

extension CanaryProber {
    /// `GET /admin/v1/canaries`: each canary with its last result here (`passed`, `failures`,
    /// the probe's `request_id`, its cost), for whoever reads incidents.
    static func add(to router: Router<BasicRequestContext>, prober: CanaryProber, admin: AdminAPI) {
        router.get("admin/v1/canaries") { request, _ in
            _ = try admin.authenticate(request, .read, .incident)
            let results = prober.lastResults
            let data = prober.canaries.map { canary -> JSONValue in
                let last = results.first { $0.canary == canary.name }
                return .object([
                    "name": .string(canary.name),
                    "model": .string(canary.model),
                    "interval_seconds": .int(canary.intervalSeconds),
                    "last_run_at": last.map { .string(RFC3339.string(micros: $0.at)) } ?? .null,
                    "passed": last.map { .bool($0.passed) } ?? .null,
                    "failures": .array((last?.failures ?? []).map(JSONValue.string)),
                    "request_id": last?.requestID.map(JSONValue.string) ?? .null,
                    "cost_usd": last.map { .double($0.costUSD) } ?? .null,
                ])
            }
            return Gateway.json(JSONValue.object(["data": .array(data)]).jsonText)
        }
    }
}
