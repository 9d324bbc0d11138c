import KeelCore

extension SimulatedCompletion {
    /// The function calls the answer makes, or `nil` when it answers with text.
    ///
    /// Text when there are no tools, when `tool_choice` is `none`, or when the last message is a
    /// tool result. Otherwise the forced function, else the first two functions when there are at
    /// least two and `parallel_tool_calls` is not `false`, else the first one.
    ///
    /// - Throws: ``SimulatorError`` when `tool_choice` names a function that `tools` lacks.
    static func toolCalls(for request: SimulatedPrompt, seed: UInt64) throws(SimulatorError) -> [ToolCall]? {
        guard !request.tools.isEmpty, request.toolChoice != .none, request.lastRole != "tool" else { return nil }
        let functions = request.tools.map { (name: $0.name, parameters: $0.parameters) }
        guard !functions.isEmpty else { return nil }

        let chosen: [(name: String, parameters: JSONValue?)]
        if case .function(let forced) = request.toolChoice {
            guard let function = functions.first(where: { $0.name == forced }) else {
                throw SimulatorError.invalidParameter(
                    "tool_choice",
                    "tool_choice names the function '\(forced)', which is not in 'tools'."
                )
            }
            chosen = [function]
        } else if functions.count >= 2, request.parallelToolCalls {
            chosen = Array(functions.prefix(2))
        } else {
            chosen = [functions[0]]
        }

        return chosen.enumerated().map { offset, function in
            var hash = StableHash()
            hash.combine(Int(truncatingIfNeeded: seed))
            hash.combine(offset)
            let digits = StableHash.hex(hash.value) + StableHash.hex(~hash.value &* 0x9E37_79B9_7F4A_7C15)
            return ToolCall(
                digits: digits, name: function.name, arguments: Self.arguments(for: function.parameters))
        }
    }

    /// Deterministic arguments for a function's JSON schema: one member per `required` property
    /// (or per property when none is required), in schema order. The n-th member (from 1) gets
    /// the first `enum` value when there is one, else by `type`: `n` for `integer` and `number`,
    /// `true` for `boolean`, `[]`, `{}`, `null`, and `"value-n"` for anything else.
    static func arguments(for parameters: JSONValue?) -> String {
        let properties = parameters?["properties"]?.members ?? []
        let required = parameters?["required"]?.array?.compactMap(\.string) ?? []
        let keys = required.isEmpty ? properties.map(\.key) : required
        var json = "{"
        for (offset, key) in keys.enumerated() {
            if offset > 0 { json += "," }
            JSONWriter.appendString(key, to: &json)
            json += ":"
            let schema = properties.last { $0.key == key }?.value
            json += Self.argumentValue(for: schema, ordinal: offset + 1)
        }
        json += "}"
        return json
    }

    private static func argumentValue(for schema: JSONValue?, ordinal: Int) -> String {
        if let first = schema?["enum"]?.array?.first {
            return first.jsonText
        }
        let type = schema?["type"]?.string ?? schema?["type"]?.array?.compactMap(\.string).first { $0 != "null" }
        switch type {
        case "integer", "number": return String(ordinal)
        case "boolean": return "true"
        case "array": return "[]"
        case "object": return "{}"
        case "null": return "null"
        default: return JSONWriter.quoted("value-\(ordinal)")
        }
    }
}
