import Foundation
import KeelCore
import KeelServer
import KeelTesting
import NIOHTTP1
import Testing

@Suite("Embeddings through another dialect")
struct EmbeddingsTranslationTests {
    @Test func openAIEmbeddingsThroughGeminiGiveTheSameVectorsInOpenAIsShape() async throws {
        try await TestKeel.run { keel in
            let body = #"{"model":"MODEL","input":["harbour lights","tide tables"],"dimensions":8}"#
            let viaGemini = try await keel.post("/v1/embeddings", json: body.replacingOccurrences(of: "MODEL", with: "via-gemini-embed"))
            let direct = try await keel.post("/v1/embeddings", json: body.replacingOccurrences(of: "MODEL", with: "keel-sim-embed"))
            #expect(viaGemini.status == 200, "\(viaGemini.body)")
            #expect(viaGemini.headers["x-keel-provider"] == "sim-gemini")
            let json = try #require(viaGemini.json)
            #expect(json["object"] as? String == "list")
            #expect(json["model"] as? String == "via-gemini-embed")
            let data = try #require(json["data"] as? [[String: Any]])
            let reference = try #require(direct.json?["data"] as? [[String: Any]])
            #expect(data.count == 2)
            for (translated, original) in zip(data, reference) {
                #expect(translated["object"] as? String == "embedding")
                #expect(translated["index"] as? Int == original["index"] as? Int)
                let vector = try #require(translated["embedding"] as? [Double])
                #expect(vector.count == 8)
                #expect(vector == original["embedding"] as? [Double])
            }

            // base64: little-endian float32s of the same vector.
            let base64 = try await keel.post("/v1/embeddings", json: #"{"model":"via-gemini-embed","input":"harbour lights","dimensions":8,"encoding_format":"base64"}"#)
            let encoded = try #require((base64.json?["data"] as? [[String: Any]])?.first?["embedding"] as? String)
            let bytes = try #require(Data(base64Encoded: encoded))
            let floats = stride(from: 0, to: bytes.count, by: 4).map { offset -> Float in
                var bits: UInt32 = 0
                for byte in 0..<4 { bits |= UInt32(bytes[offset + byte]) << UInt32(8 * byte) }
                return Float(bitPattern: bits)
            }
            let first = try #require(reference.first?["embedding"] as? [Double])
            #expect(floats == first.map { Float($0) })

            // Token-id input has no text for Gemini: refused clearly, not sent.
            let tokens = try await keel.post("/v1/embeddings", json: #"{"model":"via-gemini-embed","input":[[101,2023]]}"#)
            #expect(tokens.status == 400)
            #expect(((tokens.json?["error"] as? [String: Any])?["message"] as? String)?.contains("Token-id inputs") == true)

            await keel.shutdown()
            let records = try await keel.records().filter { $0.requestedModel == "via-gemini-embed" }
            #expect(records.count == 3)
            // The Gemini API reports no token counts for embeddings: recorded as zero.
            #expect(records.filter { $0.outcome == .success }.allSatisfy { $0.usage == .zero && $0.provider == "sim-gemini" })
        }
    }
}
