import NIOCore
import NIOHTTP1
import Testing

@testable import KeelProviders

@Suite("Upstream request serialisation")
struct UpstreamWireRequestTests {
    @Test func aRequestIsSerialisedWithHostLengthAndItsHeadersButNoFramingHeadersOfItsOwn() throws {
        let headers = HTTPHeaders([
            ("Authorization", "Bearer sk-upstream"),
            ("Content-Length", "999"),
            ("Host", "elsewhere"),
            ("Connection", "close"),
            ("Transfer-Encoding", "chunked"),
            ("anthropic-version", "2023-06-01"),
        ])
        let body = ByteBuffer(string: #"{"model":"m"}"#)
        let request = try #require(UpstreamWireRequest(post: "/v1/chat/completions", host: "api.example.com", headers: headers, body: body))
        #expect(request.separateBody == nil)
        #expect(
            String(buffer: request.bytes)
                == "POST /v1/chat/completions HTTP/1.1\r\nhost: api.example.com\r\nAuthorization: Bearer sk-upstream\r\n"
                + "anthropic-version: 2023-06-01\r\ncontent-length: 13\r\n\r\n{\"model\":\"m\"}"
        )
    }

    @Test func aBodyOverTheJoinLimitIsWrittenAfterTheHeadWithoutACopy() throws {
        let body = ByteBuffer(repeating: UInt8(ascii: "x"), count: UpstreamWireRequest.joinLimit + 1)
        let request = try #require(UpstreamWireRequest(post: "/v1/embeddings", host: "h", headers: [:], body: body))
        #expect(request.separateBody == body)
        #expect(String(buffer: request.bytes).hasSuffix("content-length: \(body.readableBytes)\r\n\r\n"))
    }

    @Test(arguments: ["a\r\nx-injected: 1", "a\nb", "a\rb", "a\u{0}b"])
    func aHeaderValueOrNameWithALineBreakOrNULIsRefused(_ bad: String) {
        #expect(UpstreamWireRequest(post: "/", host: "h", headers: HTTPHeaders([("x-org", bad)]), body: ByteBuffer()) == nil)
        #expect(UpstreamWireRequest(post: "/", host: "h", headers: HTTPHeaders([(bad, "v")]), body: ByteBuffer()) == nil)
    }
}
