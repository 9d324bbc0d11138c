import KeelCore
import KeelOps
import KeelProviders
import Logging
import NIOCore

/// Sends incident notifications to the incident webhooks (`incidents.webhooks`, else
/// `monitoring.webhooks`) and, for the on-call level a notification names, to that target of
/// `incidents.on_call`. A receiver that fails is logged and not retried.
final class IncidentWebhooks: IncidentNotifier {
    private let receivers: [(client: WebhookClient, format: KeelConfiguration.Monitoring.Webhook.Format)]
    private let onCall: [(name: String, client: WebhookClient, format: KeelConfiguration.Monitoring.Webhook.Format)]
    private let logger: Logger

    init(configuration: KeelConfiguration, eventLoopGroup: any EventLoopGroup, logger: Logger) throws {
        self.receivers = try (configuration.incidents.webhooks ?? configuration.monitoring.webhooks).map {
            (try WebhookClient(url: $0.url, eventLoopGroup: eventLoopGroup), $0.format)
        }
        self.onCall = try configuration.incidents.onCall.map {
            ($0.name, try WebhookClient(url: $0.webhook.url, eventLoopGroup: eventLoopGroup), $0.webhook.format)
        }
        self.logger = logger
    }

    /// The on-call targets' names, level 0 first.
    var onCallNames: [String] { self.onCall.map(\.name) }

    func notify(_ notification: IncidentNotification) async {
        self.logger.notice(
            "Incident \(notification.event.rawValue)",
            metadata: [
                "keel.incident": "\(notification.incident.id)",
                "keel.incident.category": "\(notification.incident.category.rawValue)",
                "keel.incident.severity": "\(notification.incident.severity.rawValue)",
            ]
        )
        var targets = self.receivers
        if let level = notification.onCallLevel, self.onCall.indices.contains(level) {
            targets.append((self.onCall[level].client, self.onCall[level].format))
        }
        for target in targets {
            let body = target.format == .slack ? notification.slackWebhookBody() : notification.genericWebhookBody()
            do {
                let status = try await target.client.post(body)
                if !(200..<300).contains(status) {
                    self.logger.warning(
                        "Incident webhook refused the notification",
                        metadata: ["keel.webhook.status": "\(status)"]
                    )
                }
            } catch {
                self.logger.warning(
                    "Incident webhook could not be reached",
                    metadata: [LogKey.errorType: "\(type(of: error))"]
                )
            }
        }
    }

    func shutdown() async {
        for receiver in self.receivers { await receiver.client.shutdown() }
        for target in self.onCall { await target.client.shutdown() }
    }
}

/// The audit trail of what the incident engine does on its own: `admin_change` entries whose
/// actor is `keel` (role admin), queued with the recorder's next batch.
struct IncidentRecorderTrail: IncidentAuditTrail {
    let recorder: RequestRecorder
    let logger: Logger

    func record(action: String, incidentID: String, summary: JSONValue) async {
        do {
            let change = try AuditEntry.AdminChange(
                actorKeyID: KeyID(IncidentEvent.engineActor),
                actorRole: .admin,
                action: action,
                targetType: "incident",
                targetID: incidentID,
                summary: summary
            )
            await self.recorder.append(.adminChange(change), time: WallClock.unixMicros())
        } catch {
            self.logger.error("An incident action could not be logged", metadata: ["error.message": "\(error)"])
        }
    }
}
