/// The `x-ratelimit-reset-*` value: a duration as OpenAI writes it (Go's format), such as `1s`,
/// `6m0s`, `1h2m3s`, `20ms` or `8.64s`.
public enum RateLimitReset {
    /// `seconds` in Go duration form, to the millisecond; at least `1ms`.
    public static func text(seconds: Double) -> String {
        let millis = max(1, Int64((seconds * 1_000).rounded(.up)))
        if millis < 1_000 { return "\(millis)ms" }
        let hours = millis / 3_600_000
        let minutes = (millis % 3_600_000) / 60_000
        let rest = millis % 60_000
        var secondsText = String(rest / 1_000)
        if rest % 1_000 != 0 {
            var fraction = String(rest % 1_000)
            while fraction.count < 3 { fraction = "0" + fraction }
            while fraction.hasSuffix("0") { fraction.removeLast() }
            secondsText += "." + fraction
        }
        var text = ""
        if hours > 0 { text += "\(hours)h" }
        if hours > 0 || minutes > 0 { text += "\(minutes)m" }
        return text + secondsText + "s"
    }
}
