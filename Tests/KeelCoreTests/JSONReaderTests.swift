import KeelCore
import Testing

@Suite("JSONReader")
struct JSONReaderTests {
    /// Reads `choices[].finish_reason` and `usage.prompt_tokens` of `text` as a stream observer does.
    static func read(_ text: String) throws -> (finish: [String?], promptTokens: Int?) {
        let bytes = Array(text.utf8)
        var result: Result<(finish: [String?], promptTokens: Int?), JSONScanner.SyntaxError> = .success(([], nil))
        bytes.withUnsafeBytes { buffer in
            do throws(JSONScanner.SyntaxError) {
                result = .success(try Self.read(buffer))
            } catch {
                result = .failure(error)
            }
        }
        return try result.get()
    }

    static func read(_ buffer: UnsafeRawBufferPointer) throws(JSONScanner.SyntaxError) -> (finish: [String?], promptTokens: Int?) {
        var reader = JSONReader(buffer)
        var finish: [String?] = []
        var promptTokens: Int?
        try reader.enterObject()
        while let key = try reader.nextMember() {
            if reader.key(key, is: "choices") {
                try reader.enterArray()
                while try reader.nextElement() {
                    try reader.enterObject()
                    var reason: String?
                    while let key = try reader.nextMember() {
                        if reader.key(key, is: "finish_reason") { reason = try reader.readString() } else { try reader.skipValue() }
                    }
                    finish.append(reason)
                }
            } else if reader.key(key, is: "usage"), try reader.peek() == .object {
                try reader.enterObject()
                while let key = try reader.nextMember() {
                    if reader.key(key, is: "prompt_tokens") { promptTokens = try reader.readInt() } else { try reader.skipValue() }
                }
            } else {
                try reader.skipValue()
            }
        }
        try reader.finish()
        return (finish, promptTokens)
    }

    @Test(arguments: [
        #"{"choices":[{"finish_reason":"stop"}],"usage":{"prompt_tokens":12}}"#,
        " {\t\"choices\" :\r\n [ { \"finish_reason\" : \"stop\" } ] ,\n \"usage\" : { \"prompt_tokens\" : 12 } } ",
        #"{"usage":{"prompt_tokens":12.0},"choices":[{"finish_reason":"stop"}]}"#,
        #"{"\u0063hoices":[{"finish\u005Freason":"st\u006fp"}],"usage":{"prompt_tokens":1.2e1}}"#,
        #"{"choices":[{"delta":{"usage":{"prompt_tokens":99},"finish_reason":"length"},"finish_reason":"stop"}],"usage":{"prompt_tokens":120E-1}}"#,
        #"{"choices":[{"delta":{"content":"\"usage\":{\"prompt_tokens\":99}"},"finish_reason":"stop"}],"usage":{"prompt_tokens":12}}"#,
    ])
    func readsTheMembersAParserWouldWhateverTheSpelling(_ text: String) throws {
        let read = try Self.read(text)
        #expect(read.finish == ["stop"])
        #expect(read.promptTokens == 12)
    }

    @Test func theLastOfDuplicateKeysCanBeKeptAndAFractionIsNotAnInteger() throws {
        #expect(try Self.read(#"{"usage":{"prompt_tokens":1,"prompt_tokens":2}}"#).promptTokens == 2)
        #expect(try Self.read(#"{"usage":{"prompt_tokens":1.5}}"#).promptTokens == nil)
        #expect(try Self.read(#"{"choices":[{"finish_reason":null},{}]}"#).finish == [nil, nil])
    }

    @Test(arguments: [
        #"{"choices":[{"finish_reason":"stop"},]}"#, #"{"choices":[{"finish_reason":"stop"}]"#, #"{"a":1} {"#,
        #"{"choices":[{"finish_reason" "stop"}]}"#, #"{"usage":{"prompt_tokens":01}}"#, #"{"x":[1 2]}"#, "",
    ])
    func malformedJSONIsRefusedWhereverItIs(_ text: String) {
        #expect(throws: JSONScanner.SyntaxError.self) { try Self.read(text) }
    }

    @Test func integersAreReadInEveryNotation() {
        func integer(_ text: String) -> Int? { Array(text.utf8).withUnsafeBytes { JSONScanner.integer($0) } }
        #expect(integer("12") == 12 && integer("-3") == -3 && integer("12.0") == 12 && integer("1.2e1") == 12)
        #expect(integer("120E-1") == 12 && integer("0") == 0 && integer("1.25") == nil && integer("99999999999999999999") == nil)
    }
}
