import KeelCore
import Testing

@Suite("Answer text screening")
struct AnswerTextGuardTests {
    static let key = "sk-proj-Ab3dEf5hIj7lMn9pQr1tUv3x"
    static let scanner = ContentScanner(configuration: .init(personalData: [.email, .phone], secrets: GuardFindingType.secrets, injection: false))

    /// Feeds `text` in pieces of `length` characters; returns what was released after each
    /// piece and at the end.
    static func stream(_ text: String, pieces length: Int, block: GuardTypeSet = [], map: inout RedactionMap) -> [AnswerTextGuard.Release] {
        var screen = AnswerTextGuard(scanner: Self.scanner, block: block)
        var releases: [AnswerTextGuard.Release] = []
        var rest = Substring(text)
        while !rest.isEmpty {
            releases.append(screen.feed(String(rest.prefix(length)), map: &map))
            rest = rest.dropFirst(length)
        }
        releases.append(screen.finish(map: &map))
        return releases
    }

    @Test(arguments: [1, 2, 3, 7, 100])
    func aCredentialSplitAcrossPiecesIsReplacedWhole(length: Int) {
        var map = RedactionMap()
        let releases = Self.stream("Here you go: \(Self.key) and that is all.", pieces: length, map: &map)
        #expect(releases.map(\.text).joined() == "Here you go: [OPENAI_API_KEY_1] and that is all.")
        #expect(releases.flatMap(\.redacted) == [.openAIKey])
        #expect(releases.allSatisfy { !$0.text.contains("sk-") }, "no part of the key is released before it is whole")
    }

    @Test func onlyTheWordBeingWrittenIsHeld() {
        var map = RedactionMap()
        var screen = AnswerTextGuard(scanner: Self.scanner, block: [])
        #expect(screen.feed("Hello the", map: &map).text == "Hello ")
        #expect(screen.feed("re, how", map: &map).text == "there, ")
        #expect(screen.feed(" are you?", map: &map).text == "how are ")
        #expect(screen.finish(map: &map).text == "you?")
    }

    @Test func textWithoutSpacesIsReleasedAsItComesButForATrailingASCIIRun() {
        var map = RedactionMap()
        var screen = AnswerTextGuard(scanner: Self.scanner, block: [])
        #expect(screen.feed("你好，", map: &map).text == "你好，")
        #expect(screen.feed("请写信给bob@exa", map: &map).text == "请写信给")
        #expect(screen.feed("mple.org, 谢谢", map: &map).text == "[EMAIL_1], 谢谢")
        #expect(screen.finish(map: &map).text == "")
    }

    @Test func aPhoneNumberWrittenInGroupsIsHeldUntilItEnds() {
        var map = RedactionMap()
        let releases = Self.stream("Call +1 415 555 0134 now, please.", pieces: 4, map: &map)
        #expect(releases.map(\.text).joined() == "Call [PHONE_1] now, please.")
    }

    @Test func aBlockingFindingStopsTheTextAndReleasesNothingOfIt() throws {
        var map = RedactionMap()
        let releases = Self.stream("Start. Then \(Self.key) end.", pieces: 3, block: .secrets, map: &map)
        let blocked = try #require(releases.firstIndex { !$0.blocked.isEmpty })
        #expect(releases[blocked].blocked == [.openAIKey])
        #expect(releases[..<blocked].map(\.text).joined() == "Start. Then ")
    }

    @Test func theSameValueGetsThePlaceholderTheRequestGaveIt() {
        var map = RedactionMap()
        _ = map.placeholder(for: GuardFinding(type: .email, start: 0, end: 15, text: "bob@example.org"))
        let release = AnswerTextGuard.screen("Write to bob@example.org or eve@example.org.", scanner: Self.scanner, block: [], map: &map)
        #expect(release.text == "Write to [EMAIL_1] or [EMAIL_2].")
    }
}
