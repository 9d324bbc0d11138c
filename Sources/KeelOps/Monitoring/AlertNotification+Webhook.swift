import KeelCore

extension AlertNotification {
    /// The body of a generic JSON webhook (UTF-8), with snake_case keys:
    /// `{"version":"1","status","rule","severity","fingerprint","labels","value","threshold",
    /// "details","summary","starts_at","ends_at"}`; times are RFC 3339 UTC.
    public func genericWebhookBody() -> [UInt8] {
        let labels = JSONValue.object(
            self.labels.sorted { $0.key < $1.key }.map { .init(key: $0.key, value: .string($0.value)) }
        )
        let details = JSONValue.object(
            self.details.sorted { $0.key < $1.key }.map { .init(key: $0.key, value: .double($0.value)) }
        )
        let body = JSONValue.object([
            "version": .string("1"),
            "status": .string(self.status.rawValue),
            "rule": .string(self.rule),
            "severity": .string(self.severity.rawValue),
            "fingerprint": .string(self.fingerprint),
            "labels": labels,
            "value": self.value.map { JSONValue.double($0) } ?? .null,
            "threshold": .double(self.threshold),
            "details": details,
            "summary": .string(self.summary),
            "starts_at": .string(RFC3339.string(micros: self.startsAtMicros)),
            "ends_at": self.endsAtMicros.map { JSONValue.string(RFC3339.string(micros: $0)) } ?? .null,
        ])
        return Array(body.jsonText.utf8)
    }

    /// The body of a Slack incoming webhook (UTF-8): a `text` fallback and `blocks` with a header
    /// and the alert's fields, in Slack's `mrkdwn` with `&`, `<` and `>` escaped.
    public func slackWebhookBody() -> [UInt8] {
        let title = "\(self.status == .firing ? "FIRING" : "RESOLVED") [\(self.severity.rawValue)] \(self.rule)"
        var fields: [JSONValue] = [
            Self.slackField("Severity", self.severity.rawValue),
            Self.slackField("Since", RFC3339.string(micros: self.startsAtMicros)),
        ]
        if let value = self.value {
            fields.append(Self.slackField("Value", Self.format(value)))
        }
        fields.append(Self.slackField("Threshold", Self.format(self.threshold)))
        for (key, value) in self.labels.sorted(by: { $0.key < $1.key }) {
            fields.append(Self.slackField(key, value))
        }
        if let ends = self.endsAtMicros {
            fields.append(Self.slackField("Resolved", RFC3339.string(micros: ends)))
        }
        let body = Self.slackMessage(
            title: title,
            fallback: "\(title): \(self.summary)",
            text: self.summary,
            fields: fields
        )
        return Array(body.jsonText.utf8)
    }

    /// A Slack incoming-webhook message: the `text` fallback, and blocks with a header and a
    /// section of `text` and `fields` (at most ten, Slack's limit), escaped.
    static func slackMessage(title: String, fallback: String, text: String, fields: [JSONValue]) -> JSONValue {
        .object([
            "text": .string(Self.slackEscape(fallback)),
            "blocks": .array([
                .object([
                    "type": .string("header"),
                    "text": .object(["type": .string("plain_text"), "text": .string(title)]),
                ]),
                .object([
                    "type": .string("section"),
                    "text": .object(["type": .string("mrkdwn"), "text": .string(Self.slackEscape(text))]),
                    "fields": .array(Array(fields.prefix(10))),
                ]),
            ]),
        ])
    }

    static func slackField(_ name: String, _ value: String) -> JSONValue {
        .object(["type": .string("mrkdwn"), "text": .string("*\(slackEscape(name))*\n\(slackEscape(value))")])
    }

    /// Slack's three control characters (https://api.slack.com/reference/surfaces/formatting#escaping).
    static func slackEscape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            default: out.append(character)
            }
        }
        return out
    }

    static func format(_ value: Double) -> String {
        value.rounded() == value && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}

/// RFC 3339 timestamps in UTC without Foundation.
package enum RFC3339 {
    /// `micros` since the epoch as `YYYY-MM-DDThh:mm:ss.ffffffZ` (`…ssZ` on whole seconds).
    package static func string(micros: Int64) -> String {
        let seconds = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
        let fraction = micros - seconds * 1_000_000
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let date = CivilDate(daysSince1970: days)
        let (year, month, day) = (date.year, date.month, date.day)
        let pad = CivilDate.padded
        var text = "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T"
        text += "\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay % 3600 / 60, 2)):\(pad(secondOfDay % 60, 2))"
        if fraction != 0 { text += "." + pad(fraction, 6) }
        return text + "Z"
    }
}
