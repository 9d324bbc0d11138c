extension Array {
    /// The most rows one multi-row statement writes: 256 rows of `request_record` (38 parameters
    /// each) stay well under SQLite's 32,766 parameters and PostgreSQL's 65,535.
    package static var maximumRowsPerStatement: Int { 256 }

    /// The array cut into consecutive slices for multi-row statements in `dialect`, each of at
    /// most ``maximumRowsPerStatement`` rows.
    ///
    /// A statement's text depends on its row count, and SQLite keeps each text it has run
    /// prepared; so on SQLite each slice is as long as the largest power of two that fits in what
    /// is left, which keeps that to nine texts per statement where every batch size would add
    /// one (100 rows are three statements: 64, 32, 4). PostgreSQL parses each statement anew, and
    /// each statement is a round trip: there the slices are as long as they may be.
    package func statementChunks(for dialect: SQLDialect) -> [ArraySlice<Element>] {
        var chunks: [ArraySlice<Element>] = []
        var start = self.startIndex
        while start < self.endIndex {
            let left = Swift.min(self.endIndex - start, Self.maximumRowsPerStatement)
            let length =
                switch dialect {
                case .sqlite: 1 << (Int.bitWidth - 1 - left.leadingZeroBitCount)
                case .postgres: left
                }
            chunks.append(self[start..<(start + length)])
            start += length
        }
        return chunks
    }
}
