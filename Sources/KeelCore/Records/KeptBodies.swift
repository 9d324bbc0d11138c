public import NIOCore

/// The bodies of a request whose policies keep them (`keep_bodies: true`): the request as
/// received and the answer as sent (a stream's events as the client got them). Carried with
/// the record to the recorder, which hands them on to be sealed with the organisation's key;
/// never stored with the record, never in the audit log (whose entry holds their digests).
public struct KeptBodies: Sendable, Equatable, Codable {
    public var prompt: ByteBuffer
    public var answer: ByteBuffer?
    /// The answer outgrew ``maximumAnswerBytes`` and was kept up to it.
    public var answerTruncated: Bool

    /// The most of an answer kept.
    public static let maximumAnswerBytes = 16 << 20

    public init(prompt: ByteBuffer, answer: ByteBuffer? = nil, answerTruncated: Bool = false) {
        self.prompt = prompt
        self.answer = answer
        self.answerTruncated = answerTruncated
    }

    /// The bytes held: the request's and the answer's.
    public var byteCount: Int { self.prompt.readableBytes + (self.answer?.readableBytes ?? 0) }

    /// Keeps `answer`, cut at ``maximumAnswerBytes``.
    public mutating func keepAnswer(_ answer: ByteBuffer) {
        if answer.readableBytes > Self.maximumAnswerBytes {
            self.answer = answer.getSlice(at: answer.readerIndex, length: Self.maximumAnswerBytes)
            self.answerTruncated = true
        } else {
            self.answer = answer
        }
    }

    enum CodingKeys: String, CodingKey {
        case prompt, answer
        case answerTruncated = "answer_truncated"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.prompt = ByteBuffer(bytes: Base64Coding.decode(try container.decode(String.self, forKey: .prompt)) ?? [])
        self.answer = try container.decodeIfPresent(String.self, forKey: .answer).map {
            ByteBuffer(bytes: Base64Coding.decode($0) ?? [])
        }
        self.answerTruncated = try container.decodeIfPresent(Bool.self, forKey: .answerTruncated) ?? false
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Base64Coding.encode(Array(self.prompt.readableBytesView)), forKey: .prompt)
        try container.encodeIfPresent(
            self.answer.map { Base64Coding.encode(Array($0.readableBytesView)) },
            forKey: .answer
        )
        try container.encode(self.answerTruncated, forKey: .answerTruncated)
    }
}
