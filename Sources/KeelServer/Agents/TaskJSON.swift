import KeelCore
import KeelStorage

/// The JSON forms of tasks and task budgets, for the data plane's `/v1/tasks` routes and the
/// admin API alike.
enum TaskJSON {
    /// Reads a budget: `{"tokens","cost_usd","steps","tool_calls","seconds","depth"}`, each optional
    /// (`cost_usd` dollars as text or a number).
    static func budget(_ value: JSONValue?, param: String) throws(KeelError) -> TaskBudget {
        guard let value, value != .null else { return TaskBudget() }
        guard case .object(let members) = value else {
            throw .invalidRequest(
                "Invalid '\(param)': an object of tokens, cost_usd, steps, tool_calls, seconds, depth.",
                param: param
            )
        }
        var budget = TaskBudget()
        for member in members {
            let name = "\(param).\(member.key)"
            func count(_ range: ClosedRange<Int>) throws(KeelError) -> Int? {
                if member.value == .null { return nil }
                guard let number = member.value.int, range.contains(number) else {
                    throw .invalidRequest(
                        "Invalid '\(name)': an integer from \(range.lowerBound) to \(range.upperBound).",
                        param: name
                    )
                }
                return number
            }
            switch member.key {
            case "tokens": budget.tokens = try count(1...Int(Int32.max) * 1_000).map(Int64.init)
            case "steps": budget.steps = try count(1...1_000_000)
            case "tool_calls": budget.toolCalls = try count(1...1_000_000)
            case "seconds": budget.seconds = try count(1...30 * 86_400)
            case "depth": budget.depth = try count(0...100)
            case "cost_usd":
                switch member.value {
                case .null: budget.costNanos = nil
                case .string(let text), .number(let text):
                    budget.costNanos = try AdminAPI.dollars(text, param: name).rawValue
                default:
                    throw .invalidRequest("Invalid '\(name)': dollars, like \"2.50\".", param: name)
                }
            default:
                throw .invalidRequest(
                    "Unknown member '\(name)'; a budget has tokens, cost_usd, steps, tool_calls, seconds, depth.",
                    param: name
                )
            }
        }
        return budget
    }

    static func budget(_ budget: TaskBudget) -> String {
        var members: [String] = []
        if let tokens = budget.tokens { members.append(#""tokens":\#(tokens)"#) }
        if let cost = budget.costNanos { members.append(#""cost_usd":""# + USDNanos(cost).decimalString + #"""#) }
        if let steps = budget.steps { members.append(#""steps":\#(steps)"#) }
        if let calls = budget.toolCalls { members.append(#""tool_calls":\#(calls)"#) }
        if let seconds = budget.seconds { members.append(#""seconds":\#(seconds)"#) }
        if let depth = budget.depth { members.append(#""depth":\#(depth)"#) }
        return "{" + members.joined(separator: ",") + "}"
    }

    /// A task: its row, and with `usage` what its calls used so far; times in Unix seconds.
    static func task(_ task: AgentTaskRow, usage: TaskBudget.Usage? = nil, steps: [String]? = nil) -> String {
        func string(_ value: String?) -> String { value.map(JSONWriter.quoted) ?? "null" }
        func seconds(_ value: Int64?) -> String { value.map { String($0 / 1_000_000) } ?? "null" }
        var members = [
            #""id":"# + JSONWriter.quoted(task.id), #""object":"task""#,
            #""agent":"# + string(task.agentID), #""pool":"# + string(task.pool),
            #""agent_version":"# + string(task.agentVersion), #""team":"# + string(task.teamID?.rawValue),
            #""state":""# + task.state.rawValue + #"""#, #""outcome":"# + string(task.outcome?.rawValue),
            #""reason":"# + string(task.reason), #""priority":\#(task.priority)"#,
            #""input":"# + (task.input ?? "null"), #""metadata":"# + task.metadata,
            #""budget":"# + Self.budget(task.budget), #""attempts":\#(task.attempts)"#,
            #""max_attempts":\#(task.maxAttempts)"#, #""worker":"# + string(task.worker),
            #""lease_until":"# + seconds(task.leaseUntil), #""parent":"# + string(task.parentID),
            #""depth":\#(task.depth)"#, #""created_at":"# + seconds(task.createdAt),
            #""started_at":"# + seconds(task.startedAt), #""ended_at":"# + seconds(task.endedAt),
            #""last_activity_at":"# + seconds(task.lastActivityAt),
        ]
        if let usage {
            members.append(
                #""usage":{"steps":\#(usage.steps),"tool_calls":\#(usage.toolCalls),"tokens":\#(usage.tokens),"cost_usd":""#
                    + USDNanos(usage.costNanos).decimalString + #""}"#
            )
            let end = task.endedAt ?? WallClock.unixMicros()
            members.append(#""duration_ms":"# + (task.startedAt.map { String(max(0, end - $0) / 1_000) } ?? "null"))
        }
        if let steps { members.append(#""steps":["# + steps.joined(separator: ",") + "]") }
        return "{" + members.joined(separator: ",") + "}"
    }

    /// One step of a task: its request record.
    static func step(_ number: Int, _ record: RequestRecord) -> String {
        var json = #"{"step":\#(number),"request_id":"# + JSONWriter.quoted(record.id.rawValue)
        json += #","operation":"# + JSONWriter.quoted(record.operation)
        json += #","model":"# + JSONWriter.quoted(record.model ?? record.requestedModel)
        if let tool = record.toolName {
            if record.operation.hasPrefix("mcp") {
                json +=
                    #","tool":"# + JSONWriter.quoted(tool) + #","server":"# + JSONWriter.quoted(record.provider ?? "")
            } else {
                // A model call: the tools its answer called.
                let names = tool.split(separator: ",").map { JSONWriter.quoted(String($0)) }
                json += #","tool_calls":["# + names.joined(separator: ",") + "]"
            }
        }
        json += #","status":\#(record.status),"outcome":""# + record.outcome.rawValue + #"""#
        json += #","error":"# + (record.errorClass.map(JSONWriter.quoted) ?? "null")
        json += #","input_tokens":\#(record.usage.inputTokens),"output_tokens":\#(record.usage.outputTokens)"#
        json += #","cost_usd":""# + record.cost.decimalString + #"","latency_ms":\#(record.totalMicros / 1_000)"#
        json += #","started_at":\#(record.startedAt / 1_000_000)}"#
        return json
    }
}
