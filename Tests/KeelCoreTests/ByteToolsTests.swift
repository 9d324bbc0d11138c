import KeelCore
import NIOCore
import Testing

@Suite("Byte edits and search")
struct ByteToolsTests {
    @Test func editsApplyInOnePassInOffsetOrder() {
        let buffer = ByteBuffer(string: #"{"model":"a","x":1}"#)
        var edits = ByteEdits()
        edits.replace(9..<12, with: #""gpt-4o""#)
        edits.insert(#""stream_options":{"include_usage":true},"#, at: 1)
        #expect(String(buffer: edits.applied(to: buffer)) == #"{"stream_options":{"include_usage":true},"model":"gpt-4o","x":1}"#)
        #expect(ByteEdits().applied(to: buffer) == buffer)
    }

    @Test func searchFindsPatternsOnlyWhereTheyAre() {
        let bytes = Array(#"data: {"usage":{"prompt_tokens":3}}"#.utf8)
        bytes.withUnsafeBytes { buffer in
            #expect(ByteSearch.firstIndex(of: #""usage":{"#, in: buffer) == 7)
            #expect(ByteSearch.firstIndex(of: "nothing", in: buffer) == nil)
            #expect(ByteSearch.hasPrefix("data:", buffer))
            // The pattern at the very end, a near miss before it, and a start offset past it.
            #expect(ByteSearch.firstIndex(of: "3}}", in: buffer) == bytes.count - 3)
            #expect(ByteSearch.firstIndex(of: #""prompt_tokens":3"#, in: buffer) == 16)
            #expect(ByteSearch.firstIndex(of: #""usage":{"#, in: buffer, from: 8) == nil)
            #expect(ByteSearch.firstIndex(of: "d", in: buffer) == 0)
            #expect(ByteSearch.firstIndex(of: #"{"usage":{"prompt_tokens":3}}x"#, in: buffer) == nil)
        }
    }
}
