import KeelCore

/// RFC 6962 §2.1 written as its recursive definitions (`MTH`, `PATH`, `PROOF`/`SUBPROOF`), to
/// check the appender and the proof code against. Subtree hashes are memoised by range, which
/// changes the cost and not the result.
struct NaiveMerkleTree {
    let leafHashes: [MerkleHash]
    private var memo: [Range<Int>: MerkleHash] = [:]

    init(entries: [[UInt8]]) {
        self.leafHashes = entries.map { MerkleTree.leafHash(of: $0) }
    }

    /// `MTH(D[range])`.
    mutating func root(_ range: Range<Int>) -> MerkleHash {
        if let known = self.memo[range] { return known }
        let hash: MerkleHash
        switch range.count {
        case 0: hash = MerkleTree.emptyRoot
        case 1: hash = self.leafHashes[range.lowerBound]
        default:
            let split = Self.split(range.count)
            hash = MerkleTree.nodeHash(
                self.root(range.lowerBound..<(range.lowerBound + split)),
                self.root((range.lowerBound + split)..<range.upperBound)
            )
        }
        self.memo[range] = hash
        return hash
    }

    /// `PATH(m, D[range])`.
    mutating func path(_ index: Int, _ range: Range<Int>) -> [MerkleHash] {
        guard range.count > 1 else { return [] }
        let split = Self.split(range.count)
        let middle = range.lowerBound + split
        if index < split {
            return self.path(index, range.lowerBound..<middle) + [self.root(middle..<range.upperBound)]
        }
        return self.path(index - split, middle..<range.upperBound) + [self.root(range.lowerBound..<middle)]
    }

    /// `PROOF(m, D[0:n])`.
    mutating func consistency(_ oldSize: Int, _ newSize: Int) -> [MerkleHash] {
        guard oldSize > 0, oldSize < newSize else { return [] }
        return self.subproof(oldSize, 0..<newSize, true)
    }

    private mutating func subproof(_ oldSize: Int, _ range: Range<Int>, _ haveRoot: Bool) -> [MerkleHash] {
        if oldSize == range.count { return haveRoot ? [] : [self.root(range)] }
        let split = Self.split(range.count)
        let middle = range.lowerBound + split
        if oldSize <= split {
            return self.subproof(oldSize, range.lowerBound..<middle, haveRoot) + [self.root(middle..<range.upperBound)]
        }
        return self.subproof(oldSize - split, middle..<range.upperBound, false) + [self.root(range.lowerBound..<middle)]
    }

    /// The largest power of two smaller than `count`.
    static func split(_ count: Int) -> Int {
        var power = 1
        while power * 2 < count { power *= 2 }
        return power
    }
}
