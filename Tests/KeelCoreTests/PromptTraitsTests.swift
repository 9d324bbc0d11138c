import KeelCore
import Testing

@Suite("PromptTraits")
struct PromptTraitsTests {
    func traits(_ json: String) throws -> PromptTraits {
        var bytes = Array(json.utf8)
        return try bytes.withUnsafeMutableBytes { buffer in
            PromptTraits(try JSONScanner.indexObject(UnsafeRawBufferPointer(buffer)))
        }
    }

    static let longSystem = String(repeating: "You answer questions about the product catalog. ", count: 100)

    @Test func toolsAndImagesAreSeenInEitherDialect() throws {
        #expect(try self.traits(#"{"model":"m","messages":[{"role":"user","content":"hi"}]}"#).features == [])
        #expect(try self.traits(#"{"model":"m","tools":[],"messages":[{"role":"user","content":"hi"}]}"#).features == [])
        let tools = #"{"model":"m","tools":[{"type":"function","function":{"name":"f"}}],"messages":[{"role":"user","content":"hi"}]}"#
        #expect(try self.traits(tools).features == .tools)
        let openAIImage = #"{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:,"}}]}]}"#
        #expect(try self.traits(openAIImage).features == .images)
        let anthropicImage = #"{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/png","data":""}}]}]}"#
        #expect(try self.traits(anthropicImage).features == .images)
        // The word in a text is not an image part: its quotes are escaped.
        #expect(try self.traits(#"{"model":"m","messages":[{"role":"user","content":"say \"image\""}]}"#).features == [])
    }

    @Test func aPromptShorterThanTheFingerprintHasNone() throws {
        #expect(try self.traits(#"{"model":"m","messages":[{"role":"user","content":"hi"}]}"#).prefixHash == nil)
    }

    @Test func promptsSharingTheirFirstFourKilobytesShareAFingerprint() throws {
        func body(model: String, question: String) -> String {
            #"{"model":"\#(model)","messages":[{"role":"system","content":"\#(Self.longSystem)"},{"role":"user","content":"\#(question)"}]}"#
        }
        let first = try #require(try self.traits(body(model: "a", question: "What is a keel?")).prefixHash)
        // Another model and another question after the shared 4 KiB: the same prefix.
        #expect(try self.traits(body(model: "b", question: "And a rudder?")).prefixHash == first)
        let other = #"{"model":"a","messages":[{"role":"system","content":"Be brief. \#(Self.longSystem)"}]}"#
        #expect(try self.traits(other).prefixHash != first)
        // The fingerprint is stable: the same value on every run and machine (it is stored).
        let fixed = [UInt8](repeating: 0x61, count: 5_000)
        let value = fixed.withUnsafeBytes { PromptTraits.fingerprint(of: [$0]) }
        #expect(value == fixed.withUnsafeBytes { PromptTraits.fingerprint(of: [UnsafeRawBufferPointer(rebasing: $0[..<4_096])]) })
        #expect(value == -3_017_086_063_416_807_191)
    }
}
