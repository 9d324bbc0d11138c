@testable import KeelServer
import Testing

@Suite("Request ids")
struct RequestIDTests {
    @Test func idsAreFixedLengthSortByTimeAndNeverRepeatInAProcess() {
        let ids = (0..<10_000).map { WallClock.newRequestID(startedAt: 1_795_915_703_000_000 + Int64($0 / 100)) }
        #expect(Set(ids).count == ids.count)
        #expect(ids.allSatisfy { $0.count == 27 && $0.hasPrefix("req_") })
        let early = WallClock.newRequestID(startedAt: 1_000)
        let late = WallClock.newRequestID(startedAt: 2_000)
        #expect(early < late)
    }
}
