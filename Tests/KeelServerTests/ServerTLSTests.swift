import Foundation
import KeelCore
import KeelServer
import KeelTesting
import Testing

/// The gateway terminating TLS (`server.tls`), driven by curl and openssl as clients, with
/// certificates the test makes with the openssl command.
@Suite("HTTPS and mTLS on the gateway")
struct ServerTLSTests {
    /// A server CA and certificate for 127.0.0.1, and a client CA with client certificates.
    struct Certificates {
        let directory: String
        func path(_ name: String) -> String { self.directory + "/" + name }

        static func make() async throws -> Certificates {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keel-server-tls-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let certificates = Certificates(directory: directory)
            try await certificates.shell(
                """
                openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj "/CN=Keel Test Server CA"
                openssl req -x509 -newkey rsa:2048 -nodes -keyout client-ca.key -out client-ca.pem -days 2 -subj "/CN=Keel Test Client CA"
                openssl req -x509 -newkey rsa:2048 -nodes -keyout other-ca.key -out other-ca.pem -days 2 -subj "/CN=Someone Else"
                printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\nbasicConstraints=CA:FALSE\\n' > server.cnf
                """)
            try await certificates.makeServerCertificate(named: "server", serial: 1001)
            try await certificates.makeClientCertificate(named: "billing", commonName: "billing-svc", uri: "spiffe://acme/billing", ca: "client-ca")
            try await certificates.makeClientCertificate(named: "stranger", commonName: "stranger-svc", uri: "spiffe://acme/stranger", ca: "client-ca")
            try await certificates.makeClientCertificate(named: "forged", commonName: "billing-svc", uri: "spiffe://acme/billing", ca: "other-ca")
            return certificates
        }

        func makeServerCertificate(named name: String, serial: Int) async throws {
            try await self.shell(
                """
                openssl req -newkey rsa:2048 -nodes -keyout \(name).key -out \(name).csr -subj "/CN=localhost"
                openssl x509 -req -in \(name).csr -CA ca.pem -CAkey ca.key -set_serial \(serial) -out \(name).pem -days 2 -extfile server.cnf
                """)
        }

        func makeClientCertificate(named name: String, commonName: String, uri: String, ca: String) async throws {
            try await self.shell(
                """
                printf 'subjectAltName=URI:\(uri)\\nbasicConstraints=CA:FALSE\\nextendedKeyUsage=clientAuth\\n' > \(name).cnf
                openssl req -newkey rsa:2048 -nodes -keyout \(name).key -out \(name).csr -subj "/CN=\(commonName)"
                openssl x509 -req -in \(name).csr -CA \(ca).pem -CAkey \(ca).key -CAcreateserial -out \(name).pem -days 2 -extfile \(name).cnf
                """)
        }

        func shell(_ script: String) async throws {
            let run = try await ChildProcess.run("/bin/sh", ["-c", "set -e\n" + script], directory: self.directory)
            try #require(run.termination == .exited(0), "openssl failed: \(run.output)")
        }

        func remove() { try? FileManager.default.removeItem(atPath: self.directory) }
    }

    /// What curl saw: the HTTP status (0 when no response came) and its exit code.
    struct Curl {
        let status: Int
        let exit: ChildProcess.Termination
        let output: String
    }

    static func curl(_ port: Int, _ certificates: Certificates, path: String = "/v1/chat/completions", arguments: [String] = []) async throws -> Curl {
        var command = [
            "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10", "--cacert", certificates.path("ca.pem"),
            "-H", "Content-Type: application/json", "--data", chatBody("hello over TLS"),
        ]
        command += arguments
        command.append("https://127.0.0.1:\(port)\(path)")
        let run = try await ChildProcess.run("/usr/bin/env", ["curl"] + command, standardError: .capture)
        let digits = run.output.prefix { $0.isNumber }
        return Curl(status: Int(digits.suffix(3)) ?? 0, exit: run.termination, output: run.output)
    }

    /// The serial number of the certificate the server presents to a new connection.
    static func servedSerial(_ port: Int, _ certificates: Certificates) async throws -> String {
        let run = try await ChildProcess.run(
            "/bin/sh",
            ["-c", "openssl s_client -connect 127.0.0.1:\(port) -CAfile ca.pem </dev/null 2>/dev/null | openssl x509 -noout -serial"],
            directory: certificates.directory
        )
        return run.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func tls(_ certificates: Certificates, clientCA: Bool = false, required: Bool = false, minimum: KeelConfiguration.TLS.Version = .tls12)
        -> KeelConfiguration.TLS
    {
        KeelConfiguration.TLS(
            certificateFile: certificates.path("server.pem"),
            keyFile: certificates.path("server.key"),
            minimumVersion: minimum,
            clientCAFile: clientCA ? certificates.path("client-ca.pem") : nil,
            clientCertificates: required ? .required : .optional,
            reloadIntervalMs: 100
        )
    }

    @Test func theGatewayAnswersOverHTTPSAndRefusesVersionsBelowItsMinimum() async throws {
        let certificates = try await Certificates.make()
        defer { certificates.remove() }
        try await TestKeel.run(configure: { $0.server.tls = Self.tls(certificates, minimum: .tls13) }) { keel in
            let answered = try await Self.curl(keel.port, certificates, arguments: ["-H", "Authorization: Bearer \(TestKeel.adminKey)"])
            #expect(answered.status == 200, "\(answered)")
            // TLS 1.2 at most: the server's 1.3 minimum refuses the handshake.
            let old = try await Self.curl(keel.port, certificates, arguments: ["--tls-max", "1.2", "-H", "Authorization: Bearer \(TestKeel.adminKey)"])
            #expect(old.status == 0 && old.exit != .exited(0), "\(old)")
            // Plain HTTP on the TLS port gets no HTTP answer.
            let plain = try await ChildProcess.run(
                "/usr/bin/env", ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5", "http://127.0.0.1:\(keel.port)/healthz"])
            #expect(plain.termination != .exited(0) || plain.output.hasPrefix("000"), "\(plain.output)")
        }
        try await TestKeel.run(configure: { $0.server.tls = Self.tls(certificates) }) { keel in
            let tls12 = try await Self.curl(keel.port, certificates, arguments: ["--tls-max", "1.2", "-H", "Authorization: Bearer \(TestKeel.adminKey)"])
            #expect(tls12.status == 200, "\(tls12)")
        }
    }

    @Test func aClientCertificateMappedToAKeyAuthenticatesAsThatKeyAndNothingElseDoes() async throws {
        let certificates = try await Certificates.make()
        defer { certificates.remove() }
        try await TestKeel.run(configure: { configuration in
            configuration.server.tls = Self.tls(certificates, clientCA: true)
            configuration.keys = [
                .init(key: Secret("sk-billing-0123456789abcdef"), name: "billing", team: "billing", clientCertificate: "spiffe://acme/billing")
            ]
        }) { keel in
            let billing = ["--cert", certificates.path("billing.pem"), "--key", certificates.path("billing.key")]
            let mapped = try await Self.curl(keel.port, certificates, arguments: billing)
            #expect(mapped.status == 200, "\(mapped)")
            // A key still works, with or without a certificate; it wins over the certificate.
            let keyed = try await Self.curl(keel.port, certificates, arguments: ["-H", "Authorization: Bearer \(TestKeel.adminKey)"])
            #expect(keyed.status == 200, "\(keyed)")
            // No key, and a certificate of the right CA that maps to no key.
            let stranger = try await Self.curl(
                keel.port, certificates, arguments: ["--cert", certificates.path("stranger.pem"), "--key", certificates.path("stranger.key")])
            #expect(stranger.status == 401, "\(stranger)")
            // No certificate: the header a client writes itself is not an identity.
            let spoofed = try await Self.curl(keel.port, certificates, arguments: ["-H", "x-keel-client-certificate: spiffe://acme/billing"])
            #expect(spoofed.status == 401, "\(spoofed)")
            // A certificate with the same names from a CA the gateway does not trust: no handshake.
            let forged = try await Self.curl(
                keel.port, certificates, arguments: ["--cert", certificates.path("forged.pem"), "--key", certificates.path("forged.key")])
            #expect(forged.status == 0, "\(forged)")

            await keel.shutdown()  // every record written
            let records = try await keel.records()
            let billingRecords = records.filter { $0.teamID == TeamID("billing") }
            #expect(billingRecords.count == 1, "the certificate's request is the billing key's")
            #expect(billingRecords.first?.status == 200)
        }
    }

    @Test func requiredClientCertificatesRefuseAHandshakeWithoutOne() async throws {
        let certificates = try await Certificates.make()
        defer { certificates.remove() }
        try await TestKeel.run(configure: { $0.server.tls = Self.tls(certificates, clientCA: true, required: true) }) { keel in
            let without = try await Self.curl(keel.port, certificates, arguments: ["-H", "Authorization: Bearer \(TestKeel.adminKey)"])
            #expect(without.status == 0, "\(without)")
            let with = try await Self.curl(
                keel.port, certificates,
                arguments: [
                    "--cert", certificates.path("stranger.pem"), "--key", certificates.path("stranger.key"), "-H", "Authorization: Bearer \(TestKeel.adminKey)",
                ])
            #expect(with.status == 200, "\(with)")
        }
    }

    @Test func aRotatedCertificateIsServedWithoutARestartAndABrokenOneIsNot() async throws {
        let certificates = try await Certificates.make()
        defer { certificates.remove() }
        try await TestKeel.run(configure: { $0.server.tls = Self.tls(certificates) }) { keel in
            #expect(try await Self.servedSerial(keel.port, certificates) == "serial=03E9")  // 1001
            // Rotate: a new certificate and key written over the old files.
            try await certificates.makeServerCertificate(named: "rotated", serial: 1002)
            try await certificates.shell("cp rotated.key server.key.new && cp rotated.pem server.pem.new && mv server.key.new server.key && mv server.pem.new server.pem")
            var served = ""
            for _ in 0..<100 {
                served = try await Self.servedSerial(keel.port, certificates)
                if served == "serial=03EA" { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(served == "serial=03EA")  // 1002
            // A half-written rotation (a certificate that does not parse) keeps the last good one.
            try await certificates.shell("echo 'not a certificate' > server.pem")
            try await Task.sleep(for: .milliseconds(400))
            #expect(try await Self.servedSerial(keel.port, certificates) == "serial=03EA")
            let answered = try await Self.curl(keel.port, certificates, arguments: ["-H", "Authorization: Bearer \(TestKeel.adminKey)"])
            #expect(answered.status == 200, "\(answered)")
        }
    }

    @Test func configurationMistakesAreNamedByKey() async throws {
        let certificates = try await Certificates.make()
        defer { certificates.remove() }
        let yaml = """
            server:
              tls: { certificate_file: \(certificates.path("server.pem")), key_file: /nonexistent/key.pem, min_version: "1.1", client_certificates: sometimes }
            keys:
              - { key: sk-a-0123456789abcdef, client_certificate: svc-a }
            """
        let error = try #require(throws: ConfigurationError.self) { try KeelConfiguration.parse(yaml: yaml, environment: [:]) }
        let keys = Set(error.issues.map(\.key))
        #expect(keys.isSuperset(of: ["server.tls.key_file", "server.tls.min_version", "server.tls.client_certificates", "keys[0].client_certificate"]), "\(error)")

        // Files that exist but do not belong together: the key is named.
        let mismatched = KeelConfiguration.TLS(certificateFile: certificates.path("server.pem"), keyFile: certificates.path("billing.key"))
        let refused = try #require(throws: ConfigurationError.self) { try mismatched.check() }
        #expect(refused.issues.map(\.key) == ["server.tls.key_file"], "\(refused)")
        try Self.tls(certificates, clientCA: true).check()
    }
}
