import Hummingbird
import KeelCore
import KeelOps

/// `GET /admin/v1/metrics/summary?by=model|provider|deployment|team&window=1m|5m|1h`: the live
/// windows of the monitoring engine — TTFT, latency, time per output token and tokens per second
/// (p50/p95/p99), error rate by class, requests and tokens per minute, cost per request.
///
/// The summary spans every tenant (grouped by team it names them), so it is for the admin key and
/// the `admin` and `auditor` roles.
struct MetricsAPI: Sendable {
    let admin: AdminAPI
    let monitoring: MonitoringEngine

    func summary(_ request: Request) throws -> Response {
        let caller = try self.admin.authenticate(request)
        guard caller.role == .admin || caller.role == .auditor else {
            throw KeelError.permissionDenied("The live metrics span every team: they need the admin or auditor role.")
        }
        let parameters = request.uri.queryParameters
        let byText = parameters["by"].map(String.init) ?? MetricsGrouping.model.rawValue
        guard let grouping = MetricsGrouping(rawValue: byText) else {
            throw KeelError.invalidRequest(
                "Invalid 'by': expected one of \(MetricsGrouping.allCases.map(\.rawValue).joined(separator: ", ")).", param: "by")
        }
        let windowText = parameters["window"].map(String.init) ?? MetricsWindow.fiveMinutes.rawValue
        guard let window = MetricsWindow(rawValue: windowText) else {
            throw KeelError.invalidRequest(
                "Invalid 'window': expected one of \(MetricsWindow.allCases.map(\.rawValue).joined(separator: ", ")).", param: "window")
        }
        return try AdminAPI.encode(self.monitoring.summary(by: grouping, window: window))
    }
}
