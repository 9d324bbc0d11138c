extension Array {
    /// The most rows one multi-row statement of `dialect` writes.
    ///
    /// - SQLite: 32. A statement costs SQLite no round trip, so longer ones save little, while
    ///   each length's text stays prepared in the connection's cache: 256 rows of `request_record`
    ///   (38 parameters each) cost about a megabyte prepared, and one statement's rows were the
    ///   gateway's largest allocation under load.
    /// - PostgreSQL: 256, well under its 65,535 parameters; each statement is a round trip.
    package static func maximumRowsPerStatement(for dialect: SQLDialect) -> Int {
        switch dialect {
        case .sqlite: 32
        case .postgres: 256
        }
    }

    /// The array cut into consecutive slices for multi-row statements in `dialect`, each of at
    /// most ``maximumRowsPerStatement(for:)`` rows.
    ///
    /// A statement's text depends on its row count, and SQLite keeps each text it has run
    /// prepared; so on SQLite each slice is as long as the largest power of two that fits in what
    /// is left, which keeps that to six texts per statement where every batch size would add
    /// one (100 rows are four statements: 32, 32, 32, 4). PostgreSQL parses each statement anew,
    /// and each statement is a round trip: there the slices are as long as they may be.
    package func statementChunks(for dialect: SQLDialect) -> [ArraySlice<Element>] {
        let maximum = Self.maximumRowsPerStatement(for: dialect)
        var chunks: [ArraySlice<Element>] = []
        var start = self.startIndex
        while start < self.endIndex {
            let left = Swift.min(self.endIndex - start, maximum)
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
