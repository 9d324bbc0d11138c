import Foundation
import KeelCore
import KeelTesting
import NIOCore
import NIOHTTP1
import Testing

/// Requests that follow each other on one keep-alive connection, over a raw socket: the next
/// request's head may reach the gateway before the previous exchange has finished, and its body
/// in a later read. Every request gets its answer.
@Suite("Keep-alive connections")
struct KeepAliveTests {
    /// Reads from `iterator` until `text` holds one complete response (head and content-length
    /// bytes); returns it and keeps the rest in `text`.
    static func readResponse(from iterator: inout NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator, buffered text: inout [UInt8]) async throws -> String? {
        while true {
            if let headEnd = Self.find([13, 10, 13, 10], in: text) {
                let head = String(decoding: text[..<headEnd], as: UTF8.self).lowercased()
                let length = head.split(separator: "\r\n")
                    .first { $0.hasPrefix("content-length:") }
                    .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
                let end = headEnd + 4 + length
                if text.count >= end {
                    let response = String(decoding: text[..<end], as: UTF8.self)
                    text.removeFirst(end)
                    return response
                }
            }
            guard let chunk = try await iterator.next() else { return nil }
            text += chunk.readableBytesView
        }
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for start in 0...(haystack.count - needle.count) where Array(haystack[start..<(start + needle.count)]) == needle {
            return start
        }
        return nil
    }

    @Test(.timeLimit(.minutes(2)))
    func aRequestWhoseHeadArrivesBeforeThePreviousExchangeEndsIsStillAnswered() async throws {
        try await TestKeel.run { keel in
            let body = chatBody("keep me alive")
            let full = StreamingClient.request(path: "/v1/chat/completions", body: body, key: TestKeel.adminKey)
            var fullText = String(buffer: full)
            let headEnd = fullText.range(of: "\r\n\r\n")!.upperBound
            let secondHead = String(fullText[..<headEnd])
            let secondBody = String(fullText[headEnd...])
            fullText = String(buffer: full)
            let channel = try await StreamingClient.connect(port: keel.port)
            try await channel.executeThenClose { inbound, outbound in
                var iterator = inbound.makeAsyncIterator()
                var buffered: [UInt8] = []
                for round in 0..<20 {
                    // The first request whole and, pipelined behind it, only the head of the next:
                    // the gateway receives that head while (or right after) it answers the first.
                    try await outbound.write(ByteBuffer(string: fullText + secondHead))
                    let first = try await Self.readResponse(from: &iterator, buffered: &buffered)
                    #expect(first?.hasPrefix("HTTP/1.1 200") == true, "round \(round): \(first ?? "closed")")
                    // The body of the second request comes in a later read.
                    try await Task.sleep(for: .milliseconds(20))
                    try await outbound.write(ByteBuffer(string: secondBody))
                    let second = try await Self.readResponse(from: &iterator, buffered: &buffered)
                    #expect(second?.hasPrefix("HTTP/1.1 200") == true, "round \(round): \(second ?? "closed")")
                }
            }
            await keel.shutdown()
            #expect(try await keel.records().count == 40)
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func threeRequestsPipelinedInOneWriteAreAnsweredInOrder() async throws {
        try await TestKeel.run { keel in
            let texts = ["first pipelined", "second pipelined", "third pipelined"]
            var all = ByteBuffer()
            for text in texts {
                var one = StreamingClient.request(path: "/v1/chat/completions", body: chatBody(text), key: TestKeel.adminKey)
                all.writeBuffer(&one)
            }
            let channel = try await StreamingClient.connect(port: keel.port)
            var answers: [String] = []
            try await channel.executeThenClose { inbound, outbound in
                var iterator = inbound.makeAsyncIterator()
                var buffered: [UInt8] = []
                try await outbound.write(all)
                for _ in texts {
                    answers.append(try await Self.readResponse(from: &iterator, buffered: &buffered) ?? "closed")
                }
            }
            #expect(answers.allSatisfy { $0.hasPrefix("HTTP/1.1 200") }, "\(answers)")
            // Each answer carries its own request id, in the order the requests were sent.
            let ids = answers.map { answer in
                answer.split(separator: "\r\n").first { $0.lowercased().hasPrefix("x-keel-request-id:") }.map(String.init) ?? ""
            }
            #expect(Set(ids).count == 3)
            await keel.shutdown()
            let records = try await keel.records()
            #expect(records.count == 3)
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func anHTTP10RequestIsAnsweredWithConnectionCloseAndTheConnectionCloses() async throws {
        try await TestKeel.run { keel in
            let body = chatBody("one and done")
            let request = "POST /v1/chat/completions HTTP/1.0\r\nAuthorization: Bearer \(TestKeel.adminKey)\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
            let channel = try await StreamingClient.connect(port: keel.port)
            var text: [UInt8] = []
            try await channel.executeThenClose { inbound, outbound in
                try await outbound.write(ByteBuffer(string: request))
                // Read to the end: the gateway closes the connection after the answer.
                for try await chunk in inbound { text += chunk.readableBytesView }
            }
            let response = String(decoding: text, as: UTF8.self)
            #expect(response.hasPrefix("HTTP/1.1 200"))
            #expect(response.lowercased().contains("\r\nconnection: close\r\n"))
            #expect(response.contains("\"usage\""), "a whole chat answer")
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func bytesThatAreNotHTTPGetA400InTheOpenAIDialectAndTheConnectionCloses() async throws {
        try await TestKeel.run { keel in
            let channel = try await StreamingClient.connect(port: keel.port)
            var text: [UInt8] = []
            try await channel.executeThenClose { inbound, outbound in
                try await outbound.write(ByteBuffer(string: "POST /v1/chat/completions HTTP/1.1\r\nContent-Length: 5\r\nBad Header Line\r\n\r\nhello"))
                for try await chunk in inbound { text += chunk.readableBytesView }
            }
            let response = String(decoding: text, as: UTF8.self)
            #expect(response.hasPrefix("HTTP/1.1 400"), "\(response)")
            let body = response.components(separatedBy: "\r\n\r\n").dropFirst().joined()
            let json = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
            #expect((json?["error"] as? [String: Any])?["type"] as? String == "invalid_request_error")
        }
    }
}

