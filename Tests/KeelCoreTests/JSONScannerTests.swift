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

    @Test(arguments: [
        (#""plain text""#, "plain text"), (#""a\nb""#, "a\nb"), (#""\\\"\/\b\f\r\t""#, "\\\"/\u{08}\u{0C}\r\t"),
        (#""long run, then\n""#, "long run, then\n"), (#""\u00e9t\u00e9 \ud83d\ude00!""#, "été 😀!"),
        (#""lone \ud800 high""#, "lone \u{FFFD} high"), (#""ünïcödé\tend""#, "ünïcödé\tend"),
    ])
    func decodesStringsCopyingTheRunsBetweenEscapes(literal: String, expected: String) {
        Array(literal.utf8).withUnsafeBytes { bytes in
            #expect(JSONScanner.decodeString(bytes, 0..<bytes.count) == expected)
        }
    }

    @Test(arguments: [#""bad \x""#, #""cut \""#, #""\u12""#, #"no quotes"#])
    func refusesStringsWithBrokenEscapes(literal: String) {
        Array(literal.utf8).withUnsafeBytes { bytes in
            #expect(JSONScanner.decodeString(bytes, 0..<bytes.count) == nil)
        }
    }
}

extension JSONScannerTests {
    /// Strings are stepped over eight bytes at a time; a control character, an escape or a
    /// quote at any position of such a run is still seen.
    @Test func aSpecialByteAtAnyPositionOfALongStringIsSeen() {
        let plain = Array("abcdefghijklmnopqrstuvwxyzäöü0123456789".utf8)
        for position in plain.indices {
            for control: UInt8 in [UInt8(ascii: "\n"), 0x01, 0x1F] {
                var text = plain
                text[position] = control
                let body = Array(#"{"s":""#.utf8) + text + Array(#""}"#.utf8)
                body.withUnsafeBytes { bytes in
                    #expect((try? JSONScanner.indexObject(bytes)) == nil, "control \(control) at \(position)")
                }
            }
            var quoted = plain
            quoted.insert(contentsOf: Array(#"\""#.utf8), at: position)
            let body = Array(#"{"s":""#.utf8) + quoted + Array(#""}"#.utf8)
            body.withUnsafeBytes { bytes in
                guard let index = try? JSONScanner.indexObject(bytes), let member = index["s"] else {
                    Issue.record("escaped quote at \(position) refused")
                    return
                }
                #expect(index.string(member) == String(decoding: plain[..<position], as: UTF8.self) + "\"" + String(decoding: plain[position...], as: UTF8.self))
            }
            var cut = plain
            cut[position] = UInt8(ascii: "\"")
            let broken = Array(#"{"s":""#.utf8) + cut + Array(#""}"#.utf8)
            broken.withUnsafeBytes { bytes in
                #expect((try? JSONScanner.indexObject(bytes)) == nil, "a bare quote at \(position) ends the string early")
            }
        }
    }
}
