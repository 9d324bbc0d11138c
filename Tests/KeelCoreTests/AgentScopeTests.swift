import KeelCore
import NIOCore
import Testing

@Suite("Agent scope: model and tool patterns, offered tools")
struct AgentScopeTests {
    @Test func globsMatchWholeNamesWithStarsForAnyRun() {
        #expect(AgentToolPattern.glob("gpt-4o*", matches: "gpt-4o-mini"))
        #expect(AgentToolPattern.glob("gpt-4o*", matches: "gpt-4o"))
        #expect(!AgentToolPattern.glob("gpt-4o*", matches: "my-gpt-4o"))
        #expect(AgentToolPattern.glob("*read*", matches: "file_read_all"))
        #expect(AgentToolPattern.glob("a*b*c", matches: "aXbYbZc"))
        #expect(!AgentToolPattern.glob("a*b*c", matches: "aXbYbZ"))
        #expect(AgentToolPattern.glob("*", matches: ""))
        #expect(!AgentToolPattern.glob("search", matches: "search2"))
        // No backtracking blow-up: many stars against a long near-miss.
        let text = String(repeating: "a", count: 20_000)
        #expect(!AgentToolPattern.glob(String(repeating: "a*", count: 50) + "b", matches: text))
    }

    @Test func toolPatternsNameServersAndTools() {
        let agent = Agent(id: "a", name: "A", tools: ["github/*", "*/read_*", "search"], createdAt: 0, updatedAt: 0)
        #expect(agent.mayUse(tool: "create_issue", server: "github"))
        #expect(agent.mayUse(tool: "read_file", server: "fs"))
        #expect(agent.mayUse(tool: "search", server: "web"))
        #expect(agent.mayUse(tool: "search"))
        #expect(agent.mayUse(tool: "read_file"), "a chat function is named by `*/…` patterns")
        #expect(!agent.mayUse(tool: "create_issue"), "a chat function is no MCP server's tool")
        #expect(!agent.mayUse(tool: "write_file", server: "fs"))
        #expect(Agent(id: "b", name: "B", createdAt: 0, updatedAt: 0).mayUse(tool: "anything", server: "x"))
        #expect(!Agent(id: "c", name: "C", tools: [], createdAt: 0, updatedAt: 0).mayUse(tool: "search"))
    }

    @Test func offeredToolsAreReadInBothDialectsAndTakenOut() throws {
        let openAI = ByteBuffer(
            string:
                #"{"model":"m","tools":[{"type":"function","function":{"name":"search"}},{"type":"custom","custom":{"name":"shell"}}],"tool_choice":{"type":"function","function":{"name":"shell"}},"temperature":0.25}"#
        )
        #expect(OfferedTools.names(in: openAI) == ["search", "shell"])
        let trimmed = try #require(OfferedTools.removing(["shell"], from: openAI))
        #expect(
            String(buffer: trimmed)
                == #"{"model":"m","tools":[{"type":"function","function":{"name":"search"}}],"temperature":0.25}"#,
            "a choice of a removed tool goes with it"
        )
        let anthropic = ByteBuffer(
            string:
                #"{"model":"m","tools":[{"name":"delete_db","input_schema":{}},{"type":"web_search_20250305","name":"web_search"}],"tool_choice":{"type":"any"}}"#
        )
        #expect(OfferedTools.names(in: anthropic) == ["delete_db", "web_search"])
        #expect(
            String(buffer: try #require(OfferedTools.removing(["delete_db"], from: anthropic)))
                == #"{"model":"m","tools":[{"type":"web_search_20250305","name":"web_search"}],"tool_choice":{"type":"any"}}"#
        )
        #expect(
            String(buffer: try #require(OfferedTools.removing(["delete_db", "web_search"], from: anthropic)))
                == #"{"model":"m"}"#,
            "no tool left: no tools and no tool_choice"
        )
        #expect(OfferedTools.names(in: ByteBuffer(string: #"{"model":"m"}"#)).isEmpty)
        #expect(OfferedTools.removing(["x"], from: ByteBuffer(string: "[1]")) == nil)
    }
}
