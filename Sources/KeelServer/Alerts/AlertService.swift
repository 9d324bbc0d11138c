import KeelCore
import KeelOps
import KeelProviders
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// Evaluates the alert rules every `interval`, keeps what is firing and what happened lately
/// (`GET /admin/v1/alerts`), and sends each firing and resolved notification to the webhooks.
///
/// Deduplication is the rules' state machines': one notification per transition. A webhook that
/// fails is logged and not retried (the next transition is sent again).
final class AlertService: Service, Sendable {
    struct Snapshot: Sendable {
        var firing: [AlertNotification]
        var recent: [AlertNotification]
    }

    private struct State {
        var firing: [String: AlertNotification] = [:]
        var recent: [AlertNotification] = []
    }

    private let monitoring: MonitoringEngine
    private let interval: Duration
    private let webhooks: [(client: WebhookClient, format: KeelConfiguration.Monitoring.Webhook.Format)]
    private let state = Mutex(State())
    /// Told of every notification delivered (incident response turns firing ones into detections).
    private let listeners = Mutex<[@Sendable ([AlertNotification]) -> Void]>([])
    private let logger: Logger
    /// Notifications kept in `recent`.
    static let historyLimit = 200

    init(
        monitoring: MonitoringEngine,
        configuration: KeelConfiguration.Monitoring,
        eventLoopGroup: any EventLoopGroup,
        logger: Logger
    ) throws {
        self.monitoring = monitoring
        self.interval = configuration.alertInterval
        self.webhooks = try configuration.webhooks.map {
            (try WebhookClient(url: $0.url, eventLoopGroup: eventLoopGroup), $0.format)
        }
        self.logger = logger
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: self.interval)
                guard !Task.isCancelled else { break }
                await self.evaluate(now: WallClock.unixMicros())
            }
        }
        for webhook in self.webhooks { await webhook.client.shutdown() }
    }

    /// One evaluation: updates the snapshot and sends the notifications.
    func evaluate(now: Int64) async {
        let actions = self.monitoring.evaluateAlerts(now: now)
        var notifications: [AlertNotification] = []
        for case .notify(let notification) in actions { notifications.append(notification) }
        await self.deliver(notifications)
    }

    /// Keeps `notifications` in the snapshot and sends each to the webhooks (budget alerts come
    /// this way too).
    func deliver(_ notifications: [AlertNotification]) async {
        guard !notifications.isEmpty else { return }
        for listener in self.listeners.withLock({ $0 }) { listener(notifications) }
        self.state.withLock { state in
            for notification in notifications {
                let key =
                    notification.rule + "|"
                    + notification.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(
                        separator: ","
                    )
                switch notification.status {
                case .firing: state.firing[key] = notification
                case .resolved: state.firing[key] = nil
                }
                state.recent.append(notification)
            }
            if state.recent.count > Self.historyLimit {
                state.recent.removeFirst(state.recent.count - Self.historyLimit)
            }
        }
        for notification in notifications {
            self.logger.notice(
                "Alert \(notification.status.rawValue)",
                metadata: [
                    "keel.alert.rule": "\(notification.rule)",
                    "keel.alert.severity": "\(notification.severity.rawValue)",
                ]
            )
            for webhook in self.webhooks {
                let body =
                    webhook.format == .slack ? notification.slackWebhookBody() : notification.genericWebhookBody()
                do {
                    let status = try await webhook.client.post(body)
                    if !(200..<300).contains(status) {
                        self.logger.warning(
                            "Alert webhook refused the notification",
                            metadata: ["keel.webhook.status": "\(status)"]
                        )
                    }
                } catch {
                    self.logger.warning(
                        "Alert webhook could not be reached",
                        metadata: [LogKey.errorType: "\(type(of: error))"]
                    )
                }
            }
        }
    }

    /// Adds a listener told of every notification delivered from now on.
    func listen(_ listener: @escaping @Sendable ([AlertNotification]) -> Void) {
        self.listeners.withLock { $0.append(listener) }
    }

    var snapshot: Snapshot {
        self.state.withLock { state in
            Snapshot(
                firing: state.firing.values.sorted { $0.startsAtMicros < $1.startsAtMicros },
                recent: state.recent.reversed()
            )
        }
    }
}
