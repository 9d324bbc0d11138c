import Foundation
import KeelSimulator
import Testing

@Suite("Embeddings")
struct EmbeddingTests {
    static func vectors(_ json: [String: Any]) -> [[Double]] {
        (json["data"] as? [[String: Any]] ?? []).map { ($0["embedding"] as? [NSNumber] ?? []).map(\.doubleValue) }
    }

    static func norm(_ vector: [Double]) -> Double {
        vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
    }

    @Test func floatVectorsAreUnitLengthDeterministicAndCounted() async throws {
        try await SimulatorHarness.run { sim in
            let body = #"{"model":"keel-sim-embed","input":["the sea is calm","hello"]}"#
            let reply = try await sim.post("/v1/embeddings", body)
            #expect(reply.status == 200)
            let json = try reply.json()
            #expect(json["object"] as? String == "list")
            #expect(json["model"] as? String == "keel-sim-embed")
            let data = try #require(json["data"] as? [[String: Any]])
            #expect(data.map { $0["index"] as? Int } == [0, 1])
            #expect(data.allSatisfy { $0["object"] as? String == "embedding" })
            let vectors = Self.vectors(json)
            #expect(vectors.map(\.count) == [256, 256])
            for vector in vectors {
                #expect(abs(Self.norm(vector) - 1) < 1e-4)
            }
            #expect(vectors[0] != vectors[1])
            let tokens = SimulatedTokenizer.count("the sea is calm") + SimulatedTokenizer.count("hello")
            #expect(json[path: "usage", "prompt_tokens"] as? Int == tokens)
            #expect(json[path: "usage", "total_tokens"] as? Int == tokens)

            let single = try await sim.post("/v1/embeddings", #"{"model":"keel-sim-embed","input":"hello"}"#).json()
            #expect(Self.vectors(single).first == vectors[1])
        }
    }

    @Test func base64EncodingCarriesTheSameLittleEndianFloats() async throws {
        try await SimulatorHarness.run { sim in
            let floats = try await sim.post("/v1/embeddings", #"{"model":"keel-sim-embed","input":"abc"}"#).json()
            let encoded = try await sim.post(
                "/v1/embeddings",
                #"{"model":"keel-sim-embed","input":"abc","encoding_format":"base64"}"#
            ).json()
            let text = try #require(encoded[path: "data", 0, "embedding"] as? String)
            let data = try #require(Data(base64Encoded: text))
            #expect(data.count == 256 * 4)
            let decoded = stride(from: 0, to: data.count, by: 4).map { offset -> Double in
                let bits = data[offset..<(offset + 4)].enumerated().reduce(UInt32(0)) {
                    $0 | UInt32($1.element) << (8 * $1.offset)
                }
                return Double(Float(bitPattern: bits))
            }
            let expected = Self.vectors(floats)[0]
            #expect(zip(decoded, expected).allSatisfy { abs($0 - $1) < 1e-6 })
        }
    }

    @Test func dimensionsShortenTheVectorToARenormalisedPrefix() async throws {
        try await SimulatorHarness.run { sim in
            let full = Self.vectors(
                try await sim.post("/v1/embeddings", #"{"model":"keel-sim-embed","input":"abc"}"#).json())[0]
            let short = Self.vectors(
                try await sim.post("/v1/embeddings", #"{"model":"keel-sim-embed","input":"abc","dimensions":8}"#).json()
            )[0]
            #expect(short.count == 8)
            #expect(abs(Self.norm(short) - 1) < 1e-4)
            let prefix = Array(full.prefix(8))
            let scale = Self.norm(prefix)
            #expect(zip(short, prefix).allSatisfy { abs($0 - $1 / scale) < 1e-4 })
        }
    }

    @Test func tokenArrayInputsAreCountedByLength() async throws {
        try await SimulatorHarness.run { sim in
            let json = try await sim.post("/v1/embeddings", #"{"model":"keel-sim-embed","input":[[1,2,3],[4,5]]}"#)
                .json()
            #expect(Self.vectors(json).count == 2)
            #expect(json[path: "usage", "prompt_tokens"] as? Int == 5)
        }
    }

    @Test func invalidInputIsRefused() async throws {
        try await SimulatorHarness.run { sim in
            let empty = try await sim.post("/v1/embeddings", #"{"model":"keel-sim-embed","input":[]}"#)
            #expect(empty.status == 400)
            let format = try await sim.post(
                "/v1/embeddings", #"{"model":"keel-sim-embed","input":"a","encoding_format":"hex"}"#)
            #expect(format.status == 400)
            let unknown = try await sim.post("/v1/embeddings", #"{"model":"nope","input":"a"}"#)
            #expect(unknown.status == 404)
        }
    }
}
