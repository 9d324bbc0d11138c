import Crypto
import FoundationEssentials
import KeelCore
import Logging
import NIOConcurrencyHelpers
import NIOSSL
import ServiceLifecycle

/// The gateway's TLS termination (`server.tls`): the context each new connection's handshake
/// uses, rebuilt when the certificate, key or client CA files change.
///
/// Certificates are rotated on disk (cert-manager, ACME clients, a mounted secret), so the files
/// are re-read every `reload_interval_ms` and compared by digest; a change builds a new context
/// for the connections that open afterwards, while open connections keep the one they
/// negotiated. Files that cannot be read or do not parse leave the current context in place and
/// are logged, so a half-written rotation never takes the gateway down.
final class ServerTLS: Service, Sendable {
    private struct Loaded {
        var context: NIOSSLContext
        var digest: [UInt8]
        /// Files that failed to load, so the same failure is logged once, not every interval.
        var refusedDigest: [UInt8]? = nil
    }

    let configuration: KeelConfiguration.TLS
    private let loaded: NIOLockedValueBox<Loaded>
    private let logger: Logger

    /// Loads the files now.
    ///
    /// - Throws: ``ConfigurationError`` naming the `server.tls` key whose file cannot be read or
    ///   parsed, or whose key does not match the certificate.
    init(configuration: KeelConfiguration.TLS, logger: Logger) throws(ConfigurationError) {
        self.configuration = configuration
        self.logger = logger
        let files = try Self.read(configuration)
        self.loaded = NIOLockedValueBox(Loaded(context: try Self.context(configuration, files), digest: files.digest))
    }

    /// Whether clients are asked for certificates, so a connection can carry a client identity.
    var identifiesClients: Bool { self.configuration.clientCAFile != nil }

    /// A handler for a new connection, with the current context.
    func makeHandler() -> NIOSSLServerHandler {
        NIOSSLServerHandler(context: self.loaded.withLockedValue { $0.context })
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(self.configuration.reloadIntervalMs))
                guard !Task.isCancelled else { break }
                self.reloadIfChanged()
            }
        }
    }

    /// Re-reads the files and, when their contents changed, swaps in a context built from them.
    /// Returns whether it did.
    @discardableResult
    func reloadIfChanged() -> Bool {
        let files: Files
        do {
            files = try Self.read(self.configuration)
        } catch {
            self.logRefusal(error, digest: nil)
            return false
        }
        let (current, refused) = self.loaded.withLockedValue { ($0.digest, $0.refusedDigest) }
        guard files.digest != current, files.digest != refused else { return false }
        do {
            let context = try Self.context(self.configuration, files)
            self.loaded.withLockedValue { $0 = Loaded(context: context, digest: files.digest) }
            self.logger.info("TLS certificate reloaded", metadata: ["keel.tls.certificate_file": "\(self.configuration.certificateFile)"])
            return true
        } catch {
            self.logRefusal(error, digest: files.digest)
            return false
        }
    }

    private func logRefusal(_ error: ConfigurationError, digest: [UInt8]?) {
        let first = self.loaded.withLockedValue { loaded -> Bool in
            guard let digest else { return true }
            defer { loaded.refusedDigest = digest }
            return loaded.refusedDigest != digest
        }
        guard first else { return }
        self.logger.error(
            "TLS certificate not reloaded; the previous one stays in use",
            metadata: [LogKey.errorType: "\(type(of: error))", "keel.tls.error": "\(error)"]
        )
    }

    private struct Files {
        var certificate: [UInt8]
        var key: [UInt8]
        var clientCA: [UInt8]?

        var digest: [UInt8] {
            var hash = SHA256()
            for part in [self.certificate, self.key, self.clientCA ?? []] {
                hash.update(data: withUnsafeBytes(of: UInt64(part.count).littleEndian) { Array($0) })
                hash.update(data: part)
            }
            return Array(hash.finalize())
        }
    }

    private static func read(_ configuration: KeelConfiguration.TLS) throws(ConfigurationError) -> Files {
        func bytes(_ path: String, key: String) throws(ConfigurationError) -> [UInt8] {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ConfigurationError(issues: [.init(key: "server.tls.\(key)", reason: "cannot read '\(path)'")])
            }
            return [UInt8](data)
        }
        return Files(
            certificate: try bytes(configuration.certificateFile, key: "certificate_file"),
            key: try bytes(configuration.keyFile, key: "key_file"),
            clientCA: try configuration.clientCAFile.map { path throws(ConfigurationError) in try bytes(path, key: "client_ca_file") }
        )
    }

    private static func context(_ configuration: KeelConfiguration.TLS, _ files: Files) throws(ConfigurationError) -> NIOSSLContext {
        func parse<Value>(_ key: String, _ body: () throws -> Value) throws(ConfigurationError) -> Value {
            do {
                return try body()
            } catch {
                throw ConfigurationError(issues: [.init(key: "server.tls.\(key)", reason: "not usable: \(error)")])
            }
        }
        let chain = try parse("certificate_file") { try NIOSSLCertificate.fromPEMBytes(files.certificate) }
        guard !chain.isEmpty else {
            throw ConfigurationError(issues: [.init(key: "server.tls.certificate_file", reason: "holds no PEM certificate")])
        }
        let key = try parse("key_file") { try NIOSSLPrivateKey(bytes: files.key, format: .pem) }
        var tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        tls.minimumTLSVersion = configuration.minimumVersion == .tls13 ? .tlsv13 : .tlsv12
        tls.applicationProtocols = ["http/1.1"]
        if let clientCA = files.clientCA {
            let roots = try parse("client_ca_file") { try NIOSSLCertificate.fromPEMBytes(clientCA) }
            guard !roots.isEmpty else {
                throw ConfigurationError(issues: [.init(key: "server.tls.client_ca_file", reason: "holds no PEM certificate")])
            }
            tls.trustRoots = .certificates(roots)
            tls.certificateVerification = configuration.clientCertificates == .required ? .noHostnameVerification : .optionalVerification
        }
        // Building the context checks that the key belongs to the certificate.
        return try parse("key_file") { try NIOSSLContext(configuration: tls) }
    }
}

extension KeelConfiguration.TLS {
    /// Loads the files as `keel serve` does: each readable, the certificate and key PEM that
    /// belong together, the client CA PEM.
    ///
    /// - Throws: ``ConfigurationError`` naming the `server.tls` key at fault.
    public func check() throws(ConfigurationError) {
        _ = try ServerTLS(configuration: self, logger: Logger(label: "keel.config", factory: { _ in SwiftLogNoOpLogHandler() }))
    }
}

extension NIOSSLCertificate {
    /// The names a client certificate identifies its holder by, for `keys[].client_certificate`:
    /// the subject's common name, then its DNS, URI and e-mail alternative names.
    var clientIdentities: [String] {
        var identities: [String] = []
        for name in self.subjectName where name.type == .commonName {
            identities.append(name.value)
        }
        for name in self._subjectAlternativeNames() where [.dnsName, .uri, .email].contains(name.nameType) {
            identities.append(name.contents.withUnsafeBufferPointer { String(decoding: $0, as: UTF8.self) })
        }
        return identities
    }
}
