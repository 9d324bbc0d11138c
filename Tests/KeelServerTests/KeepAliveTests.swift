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
}
