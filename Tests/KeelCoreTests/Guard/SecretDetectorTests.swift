import Foundation
import KeelCore
import Testing

@Suite("Secret detector")
struct SecretDetectorTests {
    let detector = SecretDetector()

    /// Credentials in the formats their issuers document, with random bodies.
    struct Canonical {
        var random: SplitMix64

        mutating func string(_ count: Int, _ alphabet: String) -> String {
            String((0..<count).map { _ in alphabet.randomElement(using: &self.random)! })
        }

        static let upperDigits = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
        static let alphanumeric = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
        static let urlSafe = alphanumeric + "-_"

        mutating func base64URL(_ bytes: Int) -> String {
            let data = Data((0..<bytes).map { _ in UInt8.random(in: 0...255, using: &self.random) })
            return Self.base64URL(data)
        }

        static func base64URL(_ data: Data) -> String {
            data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
        }

        mutating func value(_ type: GuardFindingType) -> String {
            switch type {
            case .awsAccessKeyID:
                return ["AKIA", "ASIA"].randomElement(using: &self.random)! + self.string(16, Self.upperDigits)
            case .githubToken:
                let prefix = ["ghp_", "gho_", "ghs_", "ghu_", "ghr_"].randomElement(using: &self.random)!
                return Bool.random(using: &self.random)
                    ? prefix + self.string(36, Self.alphanumeric)
                    : "github_pat_" + self.string(22, Self.alphanumeric) + "_" + self.string(59, Self.alphanumeric)
            case .slackToken:
                let kind = ["xoxb", "xoxp", "xoxa", "xoxr", "xoxs"].randomElement(using: &self.random)!
                return
                    "\(kind)-\(self.string(12, "0123456789"))-\(self.string(13, "0123456789"))-\(self.string(24, Self.alphanumeric))"
            case .stripeKey:
                return ["sk_live_", "rk_live_", "sk_test_"].randomElement(using: &self.random)!
                    + self.string(24 + Int.random(in: 0...75, using: &self.random), Self.alphanumeric)
            case .openAIKey:
                return Bool.random(using: &self.random)
                    ? "sk-" + self.string(48, Self.alphanumeric)
                    : "sk-proj-" + self.string(120, Self.urlSafe) + "T3BlbkFJ" + self.string(20, Self.urlSafe)
            case .anthropicKey: return "sk-ant-api03-" + self.string(93, Self.urlSafe) + "AA"
            case .googleAPIKey: return "AIza" + self.string(35, Self.urlSafe)
            case .jwt:
                let header = Self.base64URL(Data(#"{"alg":"HS256","typ":"JWT"}"#.utf8))
                let payload = Self.base64URL(
                    Data(#"{"sub":"\#(self.string(8, "0123456789"))","name":"Ann","iat":1516239022}"#.utf8)
                )
                return "\(header).\(payload).\(self.base64URL(32))"
            case .privateKey:
                let label = [
                    "RSA PRIVATE KEY", "EC PRIVATE KEY", "PRIVATE KEY", "OPENSSH PRIVATE KEY", "ENCRYPTED PRIVATE KEY",
                ]
                .randomElement(using: &self.random)!
                let body = (0..<5).map { _ in self.string(64, Self.alphanumeric + "+/") }.joined(separator: "\n")
                return "-----BEGIN \(label)-----\n\(body)\n-----END \(label)-----"
            case .contextualSecret:
                return self.string(12, Self.alphanumeric) + "!" + self.string(3, "0123456789")
            default:
                preconditionFailure("not a credential type")
            }
        }

        mutating func sentence(_ type: GuardFindingType) -> (text: String, value: String) {
            let value = self.value(type)
            if type == .contextualSecret {
                let template = [
                    "password: {}", "DB_PASSWORD={}", "\"client_secret\": \"{}\"", "my password is {} so keep it safe",
                    "api_key = '{}'", "Authorization: Bearer {}", "export GITLAB_TOKEN={}", "secret={}&user=ann",
                ].randomElement(using: &self.random)!
                return (template.replacingOccurrences(of: "{}", with: value), value)
            }
            let template = [
                "here is the key {} please rotate it", "KEY={}", "\"token\": \"{}\"", "curl -H 'Authorization: {}' …",
                "{}", "Found in the logs: {}.", "(leaked: {})",
            ].randomElement(using: &self.random)!
            return (template.replacingOccurrences(of: "{}", with: value), value)
        }
    }

    @Test func everyCanonicalFormatIsFound() {
        var canonical = Canonical(random: SplitMix64(seed: 0x5EC2E7))
        var found = 0
        var total = 0
        for type in GuardFindingType.secrets {
            for _ in 0..<200 {
                let (text, value) = canonical.sentence(type)
                total += 1
                let findings = self.detector.findings(in: text)
                if findings.contains(where: { $0.type == type && $0.text == value }) {
                    found += 1
                } else {
                    Issue.record("missed \(type.rawValue) in: \(text)")
                }
            }
        }
        print("guard.secrets canonical recall \(Double(found) / Double(total)) over \(total)")
        #expect(found == total)
    }

    @Test func randomIdentifiersAndHashesAreNotSecrets() {
        var random = SplitMix64(seed: 0xF00D)
        var samples: [String] = []
        func hex(_ count: Int) -> String {
            String((0..<count).map { _ in "0123456789abcdef".randomElement(using: &random)! })
        }
        for index in 0..<5_000 {
            switch index % 7 {
            case 0:
                samples.append(
                    UUID(
                        uuid: (0..<16).map { _ in UInt8.random(in: 0...255, using: &random) }.withUnsafeBytes {
                            $0.load(as: uuid_t.self)
                        }
                    ).uuidString
                )
            case 1: samples.append(hex(32))  // MD5
            case 2: samples.append(hex(40))  // SHA-1, git SHA
            case 3: samples.append(hex(64))  // SHA-256
            case 4: samples.append(String(hex(40).prefix(7)))  // short git SHA
            case 5:
                samples.append(
                    Data(
                        (0..<Int.random(in: 12...64, using: &random)).map { _ in
                            UInt8.random(in: 0...255, using: &random)
                        }
                    ).base64EncodedString()
                )
            default:
                samples.append(
                    Canonical.base64URL(Data((0..<32).map { _ in UInt8.random(in: 0...255, using: &random) }))
                )
            }
        }
        let templates = [
            "{}", "commit {} fixed the build", "request id {}", "sha256 {}", "see object {} in the bucket",
            "checksum: {}",
        ]
        var flagged = 0
        for (index, sample) in samples.enumerated() {
            let text = templates[index % templates.count].replacingOccurrences(of: "{}", with: sample)
            if !self.detector.findings(in: text).isEmpty { flagged += 1 }
        }
        let rate = Double(flagged) / Double(samples.count)
        print("guard.secrets false positive rate on ids, hashes and base64: \(rate) over \(samples.count)")
        #expect(rate <= 0.01)
    }

    @Test(arguments: [
        "password: ********", "api_key: ${OPENAI_API_KEY}", "token: <your token here>", "password = changeme",
        "the secret is out", "sk-learn-compatible-estimators are fine", "task-AKIA1234", "myAKIAIOSFODNN7EXAMPLEkey",
        "xoxb-not-a-token", "eyJhbGciOi without dots", "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----",
        "password: {{ vault_password }}", "token=%(token)s",
    ])
    func placeholdersAndLookAlikesAreRefused(_ text: String) {
        #expect(self.detector.findings(in: text).isEmpty, "\(text)")
    }

    @Test func findingsCarryScalarOffsetsAndText() {
        let text = "🔑 clé: AKIAIOSFODNN7EXAMPLE — ok"
        let findings = self.detector.findings(in: text)
        #expect(findings == [GuardFinding(type: .awsAccessKeyID, start: 7, end: 27, text: "AKIAIOSFODNN7EXAMPLE")])
        let scalars = Array(text.unicodeScalars)
        #expect(String(String.UnicodeScalarView(scalars[7..<27])) == "AKIAIOSFODNN7EXAMPLE")
    }

    @Test func aKeyAfterACredentialWordKeepsItsOwnType() {
        let findings = self.detector.findings(
            in: #"{"api_key": "sk-ant-api03-\#(String(repeating: "aB3", count: 31))AA"}"#
        )
        #expect(findings.map(\.type) == [.anthropicKey])
    }

    @Test func aPrivateKeyCutOffBeforeItsEndLineRunsToTheEnd() {
        let text = "key:\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU"
        let findings = self.detector.findings(in: text)
        #expect(findings.count == 1)
        #expect(findings.first?.end == text.unicodeScalars.count)
    }

    @Test func onlyTheRequestedTypesAreReported() {
        let text = "AKIAIOSFODNN7EXAMPLE and ghp_\(String(repeating: "a1B2", count: 9))"
        #expect(SecretDetector(types: [.githubToken]).findings(in: text).map(\.type) == [.githubToken])
    }
}
