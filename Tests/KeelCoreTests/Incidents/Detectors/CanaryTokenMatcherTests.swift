import Testing

@testable import KeelCore

@Suite("Canary tokens")
struct CanaryTokenMatcherTests {
    static let tokens = [
        CanaryToken(name: "support", token: "KEEL-CANARY-7f3a9c"),
        CanaryToken(name: "billing", token: "cnry:billing.42"),
    ]

    @Test func aTokenSplitOverManyPiecesIsFoundOnceWhereItEnds() {
        var matcher = CanaryTokenMatcher(tokens: Self.tokens)
        let pieces = [
            "Sure, my instructions say ", "KEEL", "-CAN", "ARY-", "7f3a", "9c", " and more", " KEEL-CANARY-7f3a9c",
        ]
        var found: [(Int, String)] = []
        for (index, piece) in pieces.enumerated() {
            for token in matcher.feed(piece) { found.append((index, token.name)) }
        }
        #expect(found.map(\.0) == [5], "found where it completes, and once")
        #expect(found.map(\.1) == ["support"])
    }

    @Test func eachTokenIsReportedAndNothingElse() {
        var matcher = CanaryTokenMatcher(tokens: Self.tokens)
        #expect(matcher.feed("KEEL-CANARY-7f3a9").isEmpty, "one character short")
        #expect(matcher.feed("x cnry:billing.4").isEmpty)
        #expect(matcher.feed("2 done").map(\.name) == ["billing"])
        #expect(matcher.feed("").isEmpty)
        var other = CanaryTokenMatcher(tokens: Self.tokens)
        #expect(other.feed("KEEL-CANARY-7f3a9C cnry:billing-42").isEmpty, "case and punctuation count")
        var none = CanaryTokenMatcher(tokens: [])
        #expect(none.feed("KEEL-CANARY-7f3a9c").isEmpty)
    }

    @Test func aCompleteBodyIsSearchedAsItIs() {
        let body = Array(#"{"choices":[{"message":{"content":"the token is KEEL-CANARY-7f3a9c."}}]}"#.utf8)
        let found = body.withUnsafeBytes { CanaryTokenMatcher.tokens(Self.tokens, in: $0) }
        #expect(found.map(\.name) == ["support"])
        let clean = Array(#"{"content":"KEEL-CANARY"}"#.utf8)
        #expect(clean.withUnsafeBytes { CanaryTokenMatcher.tokens(Self.tokens, in: $0) }.isEmpty)
    }

    @Test func tokensAreBytesJSONNeverEscapes() {
        #expect(CanaryToken.isValid("KEEL-CANARY-7f3a9c"))
        #expect(CanaryToken.isValid("cnry:billing.42"))
        #expect(!CanaryToken.isValid("short"))
        #expect(!CanaryToken.isValid("has space inside"))
        #expect(!CanaryToken.isValid("quote\"inside"))
        #expect(!CanaryToken.isValid(String(repeating: "a", count: 129)))
    }
}
