import FoundationEssentials
import KeelCore

extension AdminAPI.RecordView {
    /// The record as the admin API and evidence packs show it: snake_case members in sorted
    /// order (as `JSONEncoder`'s `.sortedKeys` wrote them before), written directly (a population
    /// of a million records is encoded in seconds rather than a minute). Milliseconds are the
    /// microseconds as exact decimals; a guard verdict, rare, goes through `JSONEncoder`.
    func json(into output: inout String) {
        let record = self.record
        func key(_ name: String) { output += "\"" + name + "\":" }
        func string(_ value: String?) {
            if let value { JSONWriter.appendString(value, to: &output) } else { output += "null" }
        }
        func integer(_ value: some BinaryInteger) { output += String(value) }
        func milliseconds(_ micros: Int64?) {
            guard let micros else {
                output += "null"
                return
            }
            Self.appendMilliseconds(micros, to: &output)
        }
        output += "{"
        key("agent_id")
        string(record.agentID)
        output += ","
        key("attempt_log")
        output += "["
        for (index, attempt) in record.attemptLog.enumerated() {
            if index > 0 { output += "," }
            output += "{"
            key("deployment")
            string(attempt.deployment)
            output += ","
            key("duration_ms")
            milliseconds(attempt.durationMicros)
            output += ","
            key("error_class")
            string(attempt.errorClass)
            output += ","
            key("provider")
            string(attempt.provider)
            if attempt.resumed {
                output += ","
                key("resumed")
                output += "true"
            }
            output += ","
            key("upstream_status")
            output += attempt.upstreamStatus.map(String.init) ?? "null"
            output += "}"
        }
        output += "],"
        key("attempts")
        integer(record.attempts)
        output += ","
        key("cache_hit")
        output += record.cacheHit ? "true" : "false"
        output += ","
        key("cache_saved_nanos")
        integer(record.cacheSavedCost.rawValue)
        output += ","
        key("cache_saved_usd")
        string(record.cacheSavedCost.decimalString)
        output += ","
        key("cost_nanos")
        integer(record.cost.rawValue)
        output += ","
        key("cost_usd")
        string(record.cost.decimalString)
        output += ","
        key("deployment")
        string(record.deployment)
        output += ","
        key("error_class")
        string(record.errorClass)
        output += ","
        key("guard_verdict")
        if let verdict = record.guardVerdict, let data = try? Self.verdictEncoder.encode(verdict) {
            output += String(decoding: data, as: UTF8.self)
        } else {
            output += "null"
        }
        output += ","
        key("id")
        string(record.id.rawValue)
        output += ","
        key("key_id")
        string(record.keyID?.rawValue)
        output += ","
        key("model")
        string(record.model)
        output += ","
        key("operation")
        string(record.operation)
        output += ","
        key("org_id")
        string(record.orgID?.rawValue)
        output += ","
        key("outcome")
        string(record.outcome.rawValue)
        output += ","
        key("project_id")
        string(record.projectID?.rawValue)
        output += ","
        key("provider")
        string(record.provider)
        output += ","
        key("requested_model")
        string(record.requestedModel)
        output += ","
        key("started_at")
        integer(record.startedAt)
        output += ","
        key("status")
        integer(record.status)
        output += ","
        key("stream")
        output += record.stream ? "true" : "false"
        output += ","
        key("tags")
        output += "{"
        for (index, name) in record.tags.keys.sorted().enumerated() {
            if index > 0 { output += "," }
            JSONWriter.appendString(name, to: &output)
            output += ":"
            string(record.tags[name])
        }
        output += "},"
        key("task_id")
        string(record.taskID)
        output += ","
        key("task_outcome")
        string(record.taskOutcome?.rawValue)
        output += ","
        key("team_id")
        string(record.teamID?.rawValue)
        output += ","
        key("tool_name")
        string(record.toolName)
        output += ","
        key("total_ms")
        milliseconds(record.totalMicros)
        output += ","
        key("ttft_ms")
        milliseconds(record.ttftMicros)
        output += ","
        key("upstream_ms")
        milliseconds(record.upstreamMicros)
        output += ","
        let usage = record.usage
        key("usage")
        output += "{"
        key("cache_write_1h_tokens")
        integer(usage.cacheWrite1hTokens)
        output += ","
        key("cache_write_tokens")
        integer(usage.cacheWriteTokens)
        output += ","
        key("cached_input_tokens")
        integer(usage.cachedInputTokens)
        output += ","
        key("input_tokens")
        integer(usage.inputTokens)
        output += ","
        key("output_tokens")
        integer(usage.outputTokens)
        output += ","
        key("reasoning_tokens")
        integer(usage.reasoningTokens)
        output += ","
        key("web_search_requests")
        integer(usage.webSearchRequests)
        output += "},"
        key("usage_estimated")
        output += record.usageEstimated ? "true" : "false"
        output += ","
        key("user_id")
        string(record.userID?.rawValue)
        output += "}"
    }

    /// `micros` / 1,000 as the shortest exact decimal: `250`, `12.5`, `0.001`, `-3.25`.
    static func appendMilliseconds(_ micros: Int64, to output: inout String) {
        if micros < 0 { output += "-" }
        let magnitude = micros.magnitude
        output += String(magnitude / 1_000)
        var fraction = magnitude % 1_000
        guard fraction != 0 else { return }
        var digits = 3
        while fraction % 10 == 0 {
            fraction /= 10
            digits -= 1
        }
        let text = String(fraction)
        output += "." + String(repeating: "0", count: digits - text.count) + text
    }

    private static let verdictEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()
}
