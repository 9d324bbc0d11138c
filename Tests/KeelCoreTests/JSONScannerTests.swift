import KeelCore
import Testing

@Suite("JSONScanner")
struct JSONScannerTests {
    static func index(_ text: String) throws -> [String] {
        var bytes = Array(text.utf8)
        return try bytes.withUnsafeMutableBytes { buffer in
            try JSONScanner.indexObject(UnsafeRawBufferPointer(buffer)).members.map(\.key)
        }
    }

    static func kind(_ text: String) -> JSONScanner.Kind? {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { try? JSONScanner.validate($0) }
    }

    @Test func indexesTopLevelMembersOnlyInOrder() throws {
        #expect(try Self.index(#" { "model" : "m", "messages":[{"role":"user","content":"a\"b"}], "stream":true, "n":null } "#)
            == ["model", "messages", "stream", "n"])
    }

    @Test(arguments: [
        #"{"a":1,}"#, #"{"a" 1}"#, #"{"a":01}"#, #"{"a":1.}"#, #"{"a":-}"#, #"{"a":"x\q"}"#, "{\"a\":\"\u{01}\"}",
        #"{"a":tru}"#, #"{"a":[1,2}"#, #"{"a":1} x"#, #"{"a":"\u12G4"}"#, "", "   ", #"{"a":1"#,
    ])
    func rejectsMalformedDocuments(_ text: String) {
        #expect(Self.kind(text) == nil)
        #expect((try? Self.index(text)) == nil)
    }

    @Test(arguments: [
        (#"[1,2,{"a":[]}]"#, JSONScanner.Kind.array), (#""x""#, .string), ("-0.5e+10", .number), ("null", .null), ("false", .bool),
    ])
    func acceptsEveryValueKind(_ text: String, _ kind: JSONScanner.Kind) {
        #expect(Self.kind(text) == kind)
    }

    @Test func aValidNonObjectIsReportedAsNotAnObject() {
        let bytes = Array(#"[{"model":"m"}]"#.utf8)
        bytes.withUnsafeBytes { buffer in
            #expect(throws: JSONScanner.SyntaxError.self) { try JSONScanner.indexObject(buffer) }
            do {
                _ = try JSONScanner.indexObject(buffer)
            } catch let error as JSONScanner.SyntaxError {
                #expect(error.reason == .notAnObject)
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
    }

    @Test func nestingBeyondTheLimitIsRefused() {
        let deep = "{\"a\":" + String(repeating: "[", count: 100) + String(repeating: "]", count: 100) + "}"
        let bytes = Array(deep.utf8)
        bytes.withUnsafeBytes { buffer in
            #expect(throws: JSONScanner.SyntaxError.self) { try JSONScanner.indexObject(buffer, maxDepth: 64) }
            #expect((try? JSONScanner.indexObject(buffer, maxDepth: 200)) != nil)
        }
    }

    @Test func readsTypedValuesAndDecodesEscapes() throws {
        let bytes = Array(#"{"s":"caf\u00e9 \ud83d\ude00 \"q\"\n","i":42,"d":1.5,"b":false,"arr":[1,[2,3],{"x":4}],"empty":[]}"#.utf8)
        try bytes.withUnsafeBytes { buffer in
            let index = try JSONScanner.indexObject(buffer)
            #expect(index.string(try #require(index["s"])) == "café 😀 \"q\"\n")
            #expect(index.int(try #require(index["i"])) == 42)
            #expect(index.int(try #require(index["d"])) == nil)
            #expect(index.double(try #require(index["d"])) == 1.5)
            #expect(index.bool(try #require(index["b"])) == false)
            #expect(index.arrayCount(try #require(index["arr"])) == 3)
            #expect(index.arrayCount(try #require(index["empty"])) == 0)
        }
    }
}
