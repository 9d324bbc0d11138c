@testable import KeelProviders
import Testing

@Suite("Provider base URLs")
struct BaseURLTests {
    static func parts(_ text: String) -> String? {
        BaseURL(text).map { "\($0.tls ? "https" : "http") \($0.host) \($0.port) \($0.path)" }
    }

    @Test func urlsSplitIntoSchemeHostPortAndPath() throws {
        #expect(Self.parts("https://api.openai.com/v1") == "https api.openai.com 443 /v1")
        #expect(Self.parts("http://127.0.0.1:11434/v1/") == "http 127.0.0.1 11434 /v1")
        #expect(Self.parts("http://[::1]:8000") == "http ::1 8000 ")
        #expect(Self.parts("https://openrouter.ai/api/v1") == "https openrouter.ai 443 /api/v1")
    }

    @Test(arguments: ["ftp://x", "http://", "http://host:0", "http://host:99999", "http://host:abc", "api.openai.com"])
    func malformedURLsAreRefused(_ text: String) {
        #expect(BaseURL(text) == nil)
    }
}
