import KeelStorage
import Testing

@Suite("Statement chunks")
struct StatementChunksTests {
    @Test(arguments: [0, 1, 2, 3, 64, 100, 255, 256, 257, 1_000, 2_345])
    func onSQLiteChunksArePowersOfTwoThatCoverTheArrayInOrder(count: Int) {
        let rows = Array(0..<count)
        let chunks = rows.statementChunks(for: .sqlite)
        #expect(chunks.flatMap { $0 } == rows)
        for chunk in chunks {
            #expect(chunk.count <= [Int].maximumRowsPerStatement(for: .sqlite))
            #expect(chunk.count.nonzeroBitCount == 1, "\(chunk.count) rows")
        }
        // At most one chunk of each size below the maximum: six statement texts at most.
        let sizes = chunks.map(\.count).filter { $0 < [Int].maximumRowsPerStatement(for: .sqlite) }
        #expect(Set(sizes).count == sizes.count)
    }

    @Test(arguments: [0, 1, 100, 256, 257, 2_345])
    func onPostgreSQLChunksAreAsLongAsTheyMayBe(count: Int) {
        let rows = Array(0..<count)
        let chunks = rows.statementChunks(for: .postgres)
        #expect(chunks.flatMap { $0 } == rows)
        let maximum = [Int].maximumRowsPerStatement(for: .postgres)
        #expect(chunks.dropLast().allSatisfy { $0.count == maximum })
        #expect(chunks.count == (count + maximum - 1) / maximum)
    }
}
