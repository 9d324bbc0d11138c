import Foundation
import KeelCore
import NIOCore
import Testing

/// Loads the hand-written upstream fixtures of `Fixtures/` (sources in `Fixtures/README.md`).
enum UpstreamFixture {
    static func data(_ name: String) throws -> Data {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures"), "missing fixture \(name)")
        return try Data(contentsOf: url)
    }

    static func buffer(_ name: String) throws -> ByteBuffer {
        ByteBuffer(bytes: try Self.data(name))
    }

    static func json(_ name: String) throws -> JSONValue {
        try JSONValue(parsing: try Self.buffer(name))
    }
}

/// Ways to cut a byte stream into the chunks a decoder receives.
enum Chunking: CaseIterable, CustomTestStringConvertible {
    case whole
    case byteByByte
    case random
    case halves

    var testDescription: String { "\(self)" }

    func split(_ buffer: ByteBuffer) -> [ByteBuffer] {
        let bytes = Array(buffer.readableBytesView)
        var sizes: [Int] = []
        switch self {
        case .whole: sizes = [bytes.count]
        case .byteByByte: sizes = Array(repeating: 1, count: bytes.count)
        case .halves: sizes = [bytes.count / 2, bytes.count - bytes.count / 2]
        case .random:
            var generator = SplitMix64(seed: 0x6B65_656C)
            var remaining = bytes.count
            while remaining > 0 {
                let size = min(remaining, Int(generator.next() % 97) + 1)
                sizes.append(size)
                remaining -= size
            }
        }
        var chunks: [ByteBuffer] = []
        var offset = 0
        for size in sizes {
            chunks.append(ByteBuffer(bytes: bytes[offset..<(offset + size)]))
            offset += size
        }
        return chunks
    }
}

/// A small deterministic generator, so that a failing random chunking can be replayed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { self.state = seed }
    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Replaces generated ids (random by design) by their order of appearance, so that streams can be
/// compared event by event.
func normalizingGeneratedIDs(_ events: [ChatStreamEvent], startID: Bool, toolIDs: Bool) -> [ChatStreamEvent] {
    var toolNumber = 0
    return events.map { event in
        switch event {
        case .start(_, let model) where startID:
            return .start(id: "<generated>", model: model)
        case .toolCallStart(let index, _, let name) where toolIDs:
            defer { toolNumber += 1 }
            return .toolCallStart(index: index, id: "<generated-\(toolNumber)>", name: name)
        default:
            return event
        }
    }
}
