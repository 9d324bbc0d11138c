import KeelSimulator
import Testing

@Suite("SimulatedTokenizer")
struct SimulatedTokenizerTests {
    @Test(
        arguments: [
            ("", 0), ("a", 1), ("abcd", 1), ("abcde", 2), ("the sea", 2), ("  spaced\tout\n", 3), ("unbelievable", 3),
            ("héllo", 2),
        ] as [(String, Int)])
    func countsEachWhitespacePieceByItsBytes(text: String, tokens: Int) {
        #expect(SimulatedTokenizer.count(text) == tokens)
    }
}
