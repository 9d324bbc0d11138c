import KeelCore
import NIOCore
import Testing

@testable import KeelProviders

/// AWS's Signature Version 4 test suite (`aws-sig-v4-test-suite`, credentials `AKIDEXAMPLE`,
/// 2015-08-30T12:36:00Z, us-east-1, service `service`), and a Bedrock request computed by hand
/// (Python `hmac`/`hashlib`, independently of this code).
@Suite("SigV4 signer")
struct SigV4SignerTests {
    static let suiteTime = SigV4Signer.Timestamp(secondsSince1970: 1_440_938_160)
    static let suiteSigner = SigV4Signer(
        credentials: .init(accessKeyID: "AKIDEXAMPLE", secretAccessKey: Secret("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")),
        region: "us-east-1",
        service: "service"
    )
    static let host = ("host", "example.amazonaws.com")

    struct Vector: Sendable, CustomTestStringConvertible {
        var name: String
        var method: String
        var path = "/"
        var query: [(name: String, value: String)] = []
        var headers: [(name: String, value: String)] = []
        var body = ""
        var sessionToken: String?
        var signedHeaders: String
        var signature: String
        var testDescription: String { self.name }
    }

    static let stsToken =
        "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="

    static let vectors: [Vector] = [
        Vector(name: "get-vanilla", method: "GET", signedHeaders: "host;x-amz-date", signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
        Vector(name: "post-vanilla", method: "POST", signedHeaders: "host;x-amz-date", signature: "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"),
        Vector(
            name: "get-vanilla-query-order-key-case", method: "GET", query: [("Param2", "value2"), ("Param1", "value1")],
            signedHeaders: "host;x-amz-date", signature: "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"
        ),
        Vector(
            name: "post-header-value-case", method: "POST", headers: [("My-Header1", "VALUE1")],
            signedHeaders: "host;my-header1;x-amz-date", signature: "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d"
        ),
        Vector(
            name: "get-header-value-trim", method: "GET", headers: [("My-Header1", " value1"), ("My-Header2", "\"a   b   c\"")],
            signedHeaders: "host;my-header1;my-header2;x-amz-date", signature: "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"
        ),
        Vector(
            name: "get-unreserved", method: "GET", path: "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
            signedHeaders: "host;x-amz-date", signature: "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"
        ),
        Vector(
            name: "post-x-www-form-urlencoded", method: "POST", headers: [("Content-Type", "application/x-www-form-urlencoded")],
            body: "Param1=value1",
            signedHeaders: "content-type;host;x-amz-date", signature: "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"
        ),
        Vector(
            name: "post-sts-header-after", method: "POST", sessionToken: SigV4SignerTests.stsToken,
            signedHeaders: "host;x-amz-date;x-amz-security-token", signature: "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead"
        ),
    ]

    @Test(arguments: vectors)
    func matchesTheAWSTestSuite(vector: Vector) throws {
        var signer = Self.suiteSigner
        signer.credentials.sessionToken = vector.sessionToken.map(Secret.init)
        let added = signer.signatureHeaders(
            method: vector.method, path: vector.path, query: vector.query, headers: [Self.host] + vector.headers,
            payload: Array(vector.body.utf8), at: Self.suiteTime
        )
        let authorization = try #require(added.first { $0.name == "authorization" }?.value)
        #expect(
            authorization
                == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=\(vector.signedHeaders), Signature=\(vector.signature)"
        )
        #expect(added.first { $0.name == "x-amz-date" }?.value == "20150830T123600Z")
        #expect(added.contains { $0.name == "x-amz-security-token" } == (vector.sessionToken != nil))
    }

    @Test func postVanillaIntermediateStepsMatchTheSuite() {
        let signing = Self.suiteSigner.signing(
            method: "POST", path: "/", query: [], headers: [Self.host, ("X-Amz-Date", "20150830T123600Z")],
            payloadHash: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", at: Self.suiteTime
        )
        #expect(
            signing.canonicalRequest
                == "POST\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        )
        #expect(
            signing.stringToSign
                == "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87"
        )
    }

    /// Computed by hand with Python's `hmac` and `hashlib`: a Converse call whose model id has a
    /// `:`, sent as `%3A` and signed double-encoded as `%253A`, with a session token and
    /// `x-amz-content-sha256`.
    @Test func signsABedrockCallWithAnEncodedModelIDAsComputedByHand() throws {
        let signer = SigV4Signer(
            credentials: .init(
                accessKeyID: "AKIDEXAMPLE", secretAccessKey: Secret("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
                sessionToken: Secret("session-token-example")
            ),
            region: "us-east-1",
            service: "bedrock"
        )
        let body = #"{"messages":[{"role":"user","content":[{"text":"Hi"}]}]}"#
        let path = BedrockWire.path(prefix: "", model: "anthropic.claude-3-5-haiku-20241022-v1:0", stream: false)
        #expect(path == "/model/anthropic.claude-3-5-haiku-20241022-v1%3A0/converse")
        let time = SigV4Signer.Timestamp(secondsSince1970: 1_705_311_000)
        let added = signer.signatureHeaders(
            method: "POST", path: path,
            headers: [("host", "bedrock-runtime.us-east-1.amazonaws.com"), ("content-type", "application/json")],
            payload: Array(body.utf8), at: time, includeContentHash: true
        )
        let payloadHash = "45e583fed2564dc00e823303d7609f8587af7f685b993cb0f998afc0d480b01d"
        #expect(added.first { $0.name == "x-amz-content-sha256" }?.value == payloadHash)
        #expect(added.first { $0.name == "x-amz-date" }?.value == "20240115T093000Z")
        #expect(
            added.last?.value
                == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240115/us-east-1/bedrock/aws4_request, "
                + "SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token, "
                + "Signature=e5166473682c49c987ad85705fc1b65ee82758019fbac55ae4e10c1122c5a976"
        )
        let signing = signer.signing(
            method: "POST", path: path, query: [],
            headers: [("host", "bedrock-runtime.us-east-1.amazonaws.com")], payloadHash: payloadHash, at: time
        )
        #expect(signing.canonicalRequest.split(separator: "\n", omittingEmptySubsequences: false)[1] == "/model/anthropic.claude-3-5-haiku-20241022-v1%253A0/converse")
    }

    @Test(arguments: [
        (Int64(0), "19700101T000000Z"), (1_440_938_160, "20150830T123600Z"), (951_782_400, "20000229T000000Z"),
        (4_107_542_399, "21000228T235959Z"), (1_709_251_199, "20240229T235959Z"),
    ])
    func timestampsFormatAsAmzDates(seconds: Int64, amzDate: String) {
        let time = SigV4Signer.Timestamp(secondsSince1970: seconds)
        #expect(time.amzDate == amzDate)
        #expect(time.dateStamp == String(amzDate.prefix(8)))
    }

    @Test func theProviderSignsWhatItSends() throws {
        let signing = try BedrockProvider.RequestSigning(
            configuration: .init(
                name: "bedrock", region: "us-east-1", accessKeyID: "AKIDEXAMPLE",
                secretAccessKey: Secret("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"), sessionToken: Secret("session-token-example")
            )
        )
        let time = SigV4Signer.Timestamp(secondsSince1970: 1_705_311_000)
        let body = ByteBuffer(string: #"{"messages":[{"role":"user","content":[{"text":"Hi"}]}]}"#)
        let (path, headers) = signing.request(model: "anthropic.claude-3-5-haiku-20241022-v1:0", stream: false, body: body, at: time)
        #expect(path == "/model/anthropic.claude-3-5-haiku-20241022-v1%3A0/converse")
        #expect(headers.first { $0.name == "host" }?.value == "bedrock-runtime.us-east-1.amazonaws.com")
        #expect(headers.first { $0.name == "x-amz-security-token" }?.value == "session-token-example")
        #expect(headers.first { $0.name == "authorization" }?.value.hasSuffix("Signature=e5166473682c49c987ad85705fc1b65ee82758019fbac55ae4e10c1122c5a976") == true)
        let (streamPath, streamHeaders) = signing.request(model: "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.x", stream: true, body: body, at: time)
        #expect(streamPath == "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.x/converse-stream")
        #expect(streamHeaders.first { $0.name == "accept" }?.value == "application/vnd.amazon.eventstream")
    }
}

extension SigV4SignerTests {
    @Test func aCustomEndpointWithAPortIsSignedWithThatHost() throws {
        let signing = try BedrockProvider.RequestSigning(
            configuration: .init(
                name: "b", region: "eu-west-1", accessKeyID: "AKID", secretAccessKey: Secret("secret"),
                connection: UpstreamConnection(baseURL: "http://127.0.0.1:8443/prefix")
            )
        )
        let (path, headers) = signing.request(model: "m", stream: false, body: ByteBuffer(), at: SigV4Signer.Timestamp(secondsSince1970: 0))
        #expect(path == "/prefix/model/m/converse")
        #expect(headers.first { $0.name == "host" }?.value == "127.0.0.1:8443")
        #expect(headers.first { $0.name == "authorization" }?.value.contains("/19700101/eu-west-1/bedrock/aws4_request") == true)
        #expect(headers.first { $0.name == "x-amz-content-sha256" }?.value == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }
}
