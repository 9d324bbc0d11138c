import Crypto
public import KeelCore

/// AWS Signature Version 4 for requests whose body is in memory, with the signature in the
/// `authorization` header.
///
/// The steps are AWS's: a canonical request (method, canonical URI, canonical query, sorted
/// lower-case headers with trimmed values, the signed header list, the hex SHA-256 of the payload),
/// a string to sign (`AWS4-HMAC-SHA256`, the `x-amz-date`, the credential scope
/// `date/region/service/aws4_request`, the hex SHA-256 of the canonical request), a signing key
/// derived by HMAC-SHA256 chaining from `"AWS4" + secret`, and the hex HMAC of the string to sign.
/// The canonical URI encodes the path *as sent* once more (each `%` becomes `%25`), as every
/// service but S3 requires: a Bedrock model id `a:b` travels as `a%3Ab` and is signed as
/// `a%253Ab`.
///
/// A value type without per-request state; one instance signs every request of a provider.
/// Reference: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
public struct SigV4Signer: Sendable {
    /// Long-term (access key) or temporary (with a session token) AWS credentials.
    public struct Credentials: Sendable {
        public var accessKeyID: String
        public var secretAccessKey: Secret<String>
        /// The STS session token of temporary credentials, sent as `x-amz-security-token`.
        public var sessionToken: Secret<String>?

        public init(accessKeyID: String, secretAccessKey: Secret<String>, sessionToken: Secret<String>? = nil) {
            self.accessKeyID = accessKeyID
            self.secretAccessKey = secretAccessKey
            self.sessionToken = sessionToken
        }
    }

    /// A UTC instant, in whole seconds since 1970.
    public struct Timestamp: Sendable, Equatable {
        public var secondsSince1970: Int64

        public init(secondsSince1970: Int64) {
            self.secondsSince1970 = secondsSince1970
        }

        /// `YYYYMMDD'T'HHMMSS'Z'`, the `x-amz-date` form.
        public var amzDate: String {
            let (year, month, day) = Self.civilDate(daysSince1970: self.secondsSince1970.floorDivided(by: 86_400))
            let second = self.secondsSince1970 - self.secondsSince1970.floorDivided(by: 86_400) * 86_400
            return CivilDate.padded(year, 4) + CivilDate.padded(month, 2) + CivilDate.padded(day, 2) + "T"
                + CivilDate.padded(second / 3600, 2) + CivilDate.padded(second / 60 % 60, 2) + CivilDate.padded(second % 60, 2) + "Z"
        }

        /// `YYYYMMDD`, the date of the credential scope.
        public var dateStamp: String { String(self.amzDate.prefix(8)) }

        private static func civilDate(daysSince1970 days: Int64) -> (Int64, Int64, Int64) {
            let date = CivilDate(daysSince1970: days)
            return (date.year, date.month, date.day)
        }
    }

    public var credentials: Credentials
    public var region: String
    public var service: String

    public init(credentials: Credentials, region: String, service: String) {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// The headers to add to a request so that it is signed: `x-amz-date`, optionally
    /// `x-amz-content-sha256`, `x-amz-security-token` when the credentials have one, and
    /// `authorization`.
    ///
    /// - Parameters:
    ///   - path: the path exactly as it is sent (already percent-encoded), without the query.
    ///   - query: query parameters, not encoded.
    ///   - headers: the headers that are sent and must be signed, `host` included.
    ///   - includeContentHash: also send (and sign) `x-amz-content-sha256`.
    public func signatureHeaders(
        method: String,
        path: String,
        query: [(name: String, value: String)] = [],
        headers: [(name: String, value: String)],
        payload: some Sequence<UInt8>,
        at time: Timestamp,
        includeContentHash: Bool = false
    ) -> [(name: String, value: String)] {
        let payloadHash = Self.hex(SHA256.hash(data: Array(payload)))
        var added: [(name: String, value: String)] = [("x-amz-date", time.amzDate)]
        if includeContentHash { added.append(("x-amz-content-sha256", payloadHash)) }
        if let token = self.credentials.sessionToken {
            token.withExposedValue { added.append(("x-amz-security-token", $0)) }
        }
        let signing = self.signing(
            method: method, path: path, query: query, headers: headers + added, payloadHash: payloadHash, at: time
        )
        let authorization = "AWS4-HMAC-SHA256 Credential=\(self.credentials.accessKeyID)/\(self.scope(at: time)), "
            + "SignedHeaders=\(signing.signedHeaders), Signature=\(signing.signature)"
        return added + [("authorization", authorization)]
    }

    /// The intermediate values of one signature (exposed for the test suite's vectors).
    struct Signing {
        var canonicalRequest: String
        var stringToSign: String
        var signedHeaders: String
        var signature: String
    }

    func signing(
        method: String,
        path: String,
        query: [(name: String, value: String)],
        headers: [(name: String, value: String)],
        payloadHash: String,
        at time: Timestamp
    ) -> Signing {
        var byName: [String: [String]] = [:]
        for header in headers {
            byName[header.name.lowercased(), default: []].append(Self.normalizedValue(header.value))
        }
        let names = byName.keys.sorted()
        let canonicalHeaders = names.map { "\($0):\(byName[$0]!.joined(separator: ","))\n" }.joined()
        let signedHeaders = names.joined(separator: ";")
        let canonicalQuery = query
            .map { (Self.uriEncode($0.name, keepSlash: false), Self.uriEncode($0.value, keepSlash: false)) }
            .sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
            .map { "\($0.0)=\($0.1)" }
            .joined(separator: "&")
        let canonicalURI = path.isEmpty ? "/" : Self.uriEncode(path, keepSlash: true)
        let canonicalRequest = [method, canonicalURI, canonicalQuery, canonicalHeaders, signedHeaders, payloadHash]
            .joined(separator: "\n")
        let stringToSign = [
            "AWS4-HMAC-SHA256", time.amzDate, self.scope(at: time),
            Self.hex(SHA256.hash(data: Array(canonicalRequest.utf8))),
        ].joined(separator: "\n")
        let key = self.signingKey(at: time)
        let signature = Self.hex(HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: key))
        return Signing(canonicalRequest: canonicalRequest, stringToSign: stringToSign, signedHeaders: signedHeaders, signature: signature)
    }

    private func scope(at time: Timestamp) -> String {
        "\(time.dateStamp)/\(self.region)/\(self.service)/aws4_request"
    }

    private func signingKey(at time: Timestamp) -> SymmetricKey {
        let secret = self.credentials.secretAccessKey.withExposedValue { SymmetricKey(data: Array(("AWS4" + $0).utf8)) }
        var key = secret
        for part in [time.dateStamp, self.region, self.service, "aws4_request"] {
            key = SymmetricKey(data: Array(HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key)))
        }
        return key
    }

    /// A header value trimmed, with runs of spaces collapsed to one.
    private static func normalizedValue(_ value: String) -> String {
        var output = ""
        var pendingSpace = false
        for character in value {
            if character == " " || character == "\t" {
                pendingSpace = !output.isEmpty
            } else {
                if pendingSpace { output.append(" ") }
                pendingSpace = false
                output.append(character)
            }
        }
        return output
    }

    /// RFC 3986 percent-encoding of every byte but the unreserved `A-Z a-z 0-9 - _ . ~` (and `/`
    /// when `keepSlash`), with upper-case hex, as SigV4 defines it.
    static func uriEncode(_ text: String, keepSlash: Bool) -> String {
        let hexDigits = Array("0123456789ABCDEF".utf8)
        var output: [UInt8] = []
        output.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                output.append(byte)
            case UInt8(ascii: "/") where keepSlash:
                output.append(byte)
            default:
                output.append(UInt8(ascii: "%"))
                output.append(hexDigits[Int(byte >> 4)])
                output.append(hexDigits[Int(byte & 0x0F)])
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let hexDigits = Array("0123456789abcdef".utf8)
        var output: [UInt8] = []
        for byte in bytes {
            output.append(hexDigits[Int(byte >> 4)])
            output.append(hexDigits[Int(byte & 0x0F)])
        }
        return String(decoding: output, as: UTF8.self)
    }
}

extension Int64 {
    fileprivate func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
