package import KeelCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

// The JSON columns of `request_record` (`attempt_log`, `tags`, `guard_verdict`), written and read
// the same way by every backend: PostgreSQL stores them as JSONB (which may reorder members and
// add spaces; the decoders do not mind), SQLite as checked text.
extension RequestRecord {
    /// The attempt log as a JSON array, written by hand: it is encoded on the writer's path.
    package static func attemptLogJSON(_ attempts: [Attempt]) -> String {
        var json = "["
        for (index, attempt) in attempts.enumerated() {
            if index > 0 { json += "," }
            json += #"{"provider":"# + JSONWriter.quoted(attempt.provider)
            json += #","deployment":"# + JSONWriter.quoted(attempt.deployment)
            json += #","error_class":"# + (attempt.errorClass.map(JSONWriter.quoted) ?? "null")
            json += #","upstream_status":"# + (attempt.upstreamStatus.map(String.init) ?? "null")
            json += #","duration_us":\#(attempt.durationMicros)"#
            // Written only when true: every other attempt keeps the shape it always had.
            json += attempt.resumed ? #","resumed":true}"# : "}"
        }
        return json + "]"
    }

    /// Reads an attempt log written by ``attemptLogJSON(_:)``.
    package static func attempts(fromJSON text: String) throws -> [Attempt] {
        struct Stored: Decodable {
            var provider: String
            var deployment: String
            var error_class: String?
            var upstream_status: Int?
            var duration_us: Int64
            var resumed: Bool?
        }
        do {
            return try JSONDecoder().decode([Stored].self, from: Data(text.utf8)).map {
                Attempt(
                    provider: $0.provider, deployment: $0.deployment, errorClass: $0.error_class,
                    upstreamStatus: $0.upstream_status, durationMicros: $0.duration_us, resumed: $0.resumed ?? false)
            }
        } catch {
            throw StorageError.invalidStoredValue(table: "request_record", column: "attempt_log")
        }
    }

    /// The guard verdict as a JSON object (``GuardVerdict``'s shape), written by hand like the
    /// attempt log: it is encoded on the writer's path.
    package static func guardVerdictJSON(_ verdict: GuardVerdict) -> String {
        func quoted(_ name: String) -> String { "\"" + name + "\"" }
        func counts(_ counts: [GuardVerdict.Count]) -> String {
            let items = counts.map {
                #"{"type":"# + quoted($0.type.rawValue) + #","count":\#($0.count),"action":"# + quoted($0.action.rawValue) + "}"
            }
            return "[" + items.joined(separator: ",") + "]"
        }
        var json = #"{"action":"# + (verdict.action.map { quoted($0.rawValue) } ?? "null")
        json += #","findings":"# + counts(verdict.findings)
        json += #","answer_findings":"# + counts(verdict.answerFindings)
        if let injection = verdict.injection {
            json += #","injection":{"score":\#(injection.score),"flagged":\#(injection.flagged),"action":"#
            json += injection.action.map { quoted($0.rawValue) } ?? "null"
            json += #","role":"# + quoted(injection.role.rawValue) + #","signals":["#
            json += injection.signals.map { quoted($0.rawValue) }.joined(separator: ",") + "]}"
        }
        return json + "}"
    }

    /// Reads a guard verdict written by ``guardVerdictJSON(_:)``.
    package static func guardVerdict(fromJSON text: String) throws -> GuardVerdict {
        do {
            return try JSONDecoder().decode(GuardVerdict.self, from: Data(text.utf8))
        } catch {
            throw StorageError.invalidStoredValue(table: "request_record", column: "guard_verdict")
        }
    }

    /// Reads the tags column (a JSON object of strings, written by `AttributionTags.json`).
    package static func tags(fromJSON text: String) throws -> [String: String] {
        if text == "{}" { return [:] }
        do {
            return try JSONDecoder().decode([String: String].self, from: Data(text.utf8))
        } catch {
            throw StorageError.invalidStoredValue(table: "request_record", column: "tags")
        }
    }

    /// Reads the `task_outcome` column (shared by both backends, though it is not JSON).
    package static func taskOutcome(fromStored text: String?) throws -> AgentTask.Outcome? {
        guard let text else { return nil }
        guard let outcome = AgentTask.Outcome(rawValue: text) else {
            throw StorageError.invalidStoredValue(table: "request_record", column: "task_outcome")
        }
        return outcome
    }
}
