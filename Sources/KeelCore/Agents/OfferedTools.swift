public import NIOCore

/// The tools a chat request offers its model, read from its body in either client dialect, and
/// the body without some of them: how an agent's `tools` are held on the request side.
///
/// A tool's name is `function.name` (OpenAI function tools), `custom.name` (OpenAI custom tools)
/// or `name` (Anthropic tools, client and server).
public enum OfferedTools {
    /// The names of the tools in `body`'s top-level `tools` array, in order; empty when it has
    /// none or is not a JSON object.
    public static func names(in body: ByteBuffer) -> [String] {
        guard let tools = Self.tools(in: body) else { return [] }
        return tools.compactMap(Self.name(of:))
    }

    /// `body` without the tools named in `removed`. When none is left, `tools` and
    /// `tool_choice` go; a `tool_choice` that named a removed tool goes too (the upstream then
    /// chooses among those left). `nil` when the body is not a JSON object.
    public static func removing(_ removed: Set<String>, from body: ByteBuffer) -> ByteBuffer? {
        guard let value = try? JSONValue(parsing: body), case .object(let members) = value else { return nil }
        let kept = (value["tools"]?.array ?? []).filter { tool in
            Self.name(of: tool).map { !removed.contains($0) } ?? true
        }
        let choice = value["tool_choice"]
        let choiceNamesRemoved = choice.map { Self.choiceName($0).map(removed.contains) ?? false } ?? false
        var rewritten: [JSONValue.Member] = []
        for member in members {
            switch member.key {
            case "tools":
                if !kept.isEmpty { rewritten.append(.init(key: "tools", value: .array(kept))) }
            case "tool_choice":
                if !kept.isEmpty && !choiceNamesRemoved { rewritten.append(member) }
            default:
                rewritten.append(member)
            }
        }
        return ByteBuffer(string: JSONValue.object(rewritten).jsonText)
    }

    private static func tools(in body: ByteBuffer) -> [JSONValue]? {
        body.withUnsafeReadableBytes { bytes -> [JSONValue]? in
            guard let index = try? JSONScanner.indexObject(bytes), let member = index["tools"], member.kind == .array
            else { return nil }
            return JSONValue(member, of: index).array
        }
    }

    static func name(of tool: JSONValue) -> String? {
        tool["function"]?["name"]?.string ?? tool["custom"]?["name"]?.string ?? tool["name"]?.string
    }

    /// The tool a `tool_choice` names: OpenAI `{"type":"function","function":{"name"}}` or
    /// `{"type":"custom","custom":{"name"}}`, Anthropic `{"type":"tool","name"}`.
    static func choiceName(_ choice: JSONValue) -> String? {
        choice["function"]?["name"]?.string ?? choice["custom"]?["name"]?.string ?? choice["name"]?.string
    }
}
