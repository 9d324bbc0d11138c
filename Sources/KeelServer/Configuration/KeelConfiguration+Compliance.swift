import Crypto
public import KeelCore

extension KeelConfiguration {
    /// `compliance:` — the audit log and what each organisation's compliance asks of it.
    public struct Compliance: Sendable, Equatable {
        public var audit = Audit()
        /// `compliance.orgs[]`: organisations with settings of their own.
        public var orgs: [Org] = []
        /// `compliance.retention_days`: how long records are kept, for organisations without a
        /// retention of their own (and requests without an organisation).
        public var retentionDays = 183
        /// `compliance.retention_sweep_interval_ms`: how often retention deletes what expired.
        public var retentionSweepIntervalMs = 3_600_000
        /// `compliance.policy_sync_interval_ms`: how often an instance reloads the policies made
        /// through the admin API (on another instance).
        public var policySyncIntervalMs = 2_000
        /// `compliance.probes`: the policy probes.
        public var probes = Probes()

        /// `compliance.probes`: synthetic requests that show each policy in force still works.
        public struct Probes: Sendable, Equatable {
            public var enabled = true
            /// How often every policy is probed.
            public var intervalMs = 300_000

            public init(enabled: Bool = true, intervalMs: Int = 300_000) {
                self.enabled = enabled
                self.intervalMs = intervalMs
            }
        }

        /// HIPAA keeps documentation six years (§164.316(b)(2)).
        public static let hipaaRetentionDays = 2_190

        /// `compliance.body_retention_days`: how long kept bodies (`keep_bodies`) are kept, for
        /// organisations without a body retention of their own; `nil`: as long as their records.
        public var bodyRetentionDays: Int?

        /// How long `org`'s records are kept.
        public func retentionDays(of org: Org) -> Int {
            org.retentionDays ?? (org.hipaa ? Self.hipaaRetentionDays : self.retentionDays)
        }

        /// How long `org`'s kept bodies are kept: never longer than its records.
        public func bodyRetentionDays(of org: Org) -> Int {
            min(org.bodyRetentionDays ?? self.bodyRetentionDays ?? Int.max, self.retentionDays(of: org))
        }

        /// How long kept bodies of requests without an organisation of `orgs` are kept.
        public var defaultBodyRetentionDays: Int { min(self.bodyRetentionDays ?? Int.max, self.retentionDays) }

        /// How long the audit log keeps entries: the longest retention of any records, since the
        /// log is one for every organisation.
        public var auditRetentionDays: Int {
            self.orgs.map { self.retentionDays(of: $0) }.reduce(self.retentionDays, max)
        }

        public init(audit: Audit = Audit(), orgs: [Org] = []) {
            self.audit = audit
            self.orgs = orgs
        }

        /// `compliance.audit`: the log's checkpoints and the key that signs them.
        public struct Audit: Sendable, Equatable {
            /// The log's name (the signing key's name, a checkpoint's origin line) when a key is
            /// generated; a stored or file key keeps its own.
            public var origin = "keel/audit"
            /// A file holding the signing key (`PRIVATE+KEY+…`), generated there when missing;
            /// without one the key is generated into the database.
            public var signingKeyFile: String?
            /// Verifier keys (`name+id+key`) `keel audit verify` also trusts: keys that signed
            /// earlier checkpoints of this log.
            public var trustedKeys: [String] = []
            /// A checkpoint is signed at least this often while entries arrive…
            public var checkpointIntervalMs = 60_000
            /// …and whenever this many entries arrived since the last one.
            public var checkpointEntries = 10_000
            /// How long a request of a strict organisation waits for its `request_started` entry
            /// to be stored before it is refused (503).
            public var strictTimeoutMs = 5_000

            public init() {}
        }

        /// One organisation's compliance settings.
        public struct Org: Sendable, Equatable {
            public var org: OrgID
            /// `strict`: a request is answered only after its `request_started` entry is durably
            /// stored; `standard`: entries are written with the records, off the request path.
            public var audit: AuditMode
            /// Days its records are kept; `nil`: 2,190 (six years) under `hipaa`, else
            /// `compliance.retention_days`.
            public var retentionDays: Int?
            /// The organisation handles PHI under HIPAA: records kept six years unless set.
            public var hipaa: Bool
            /// Days its kept bodies are kept; `nil`: `compliance.body_retention_days`, else as long
            /// as its records.
            public var bodyRetentionDays: Int?

            public init(
                org: OrgID,
                audit: AuditMode = .standard,
                retentionDays: Int? = nil,
                hipaa: Bool = false,
                bodyRetentionDays: Int? = nil
            ) {
                self.bodyRetentionDays = bodyRetentionDays
                self.org = org
                self.audit = audit
                self.retentionDays = retentionDays
                self.hipaa = hipaa
            }
        }

        public enum AuditMode: String, Sendable, Equatable {
            case standard
            case strict
        }

        /// The organisations in strict audit mode.
        public var strictOrgs: Set<OrgID> { Set(self.orgs.filter { $0.audit == .strict }.map(\.org)) }
    }

    /// Where a configuration came from, for the audit log's `config_loaded` entry.
    public struct LoadedFrom: Sendable, Equatable {
        /// The file's path, `inline` for text given directly, or `default` for the built-in one.
        public var source: String
        /// Lowercase hex SHA-256 of the text read (empty for the built-in default).
        public var sha256: String

        public init(source: String, sha256: String) {
            self.source = source
            self.sha256 = sha256
        }

        /// `text` read from `source`.
        public init(source: String, text: String) {
            self.source = source
            self.sha256 = HexCoding.encode(SHA256.hash(data: Array(text.utf8)))
        }
    }
}

extension KeelConfiguration.LoadedFrom {
    /// The `config_loaded` entry: the text's digest, or for a configuration not read from text
    /// (the built-in default, one built in code) the digest of its description, secrets redacted.
    func entry(of configuration: KeelConfiguration) -> AuditEntry.ConfigLoaded {
        let digest =
            self.sha256.isEmpty
            ? HexCoding.encode(SHA256.hash(data: Array(String(reflecting: configuration).utf8))) : self.sha256
        return AuditEntry.ConfigLoaded(configSHA256: digest, source: self.source)
    }
}

extension KeelConfiguration {
    /// Reads `compliance:` {`audit` {`origin`, `signing_key_file`, `trusted_keys`,
    /// `checkpoint_interval_ms`, `checkpoint_entries`, `strict_timeout_ms`}, `orgs[]` {`org`, `audit`,
    /// `retention_days`, `hipaa`}, `retention_days`, `retention_sweep_interval_ms`,
    /// `policy_sync_interval_ms`, `probes` {`enabled`, `interval_ms`}}.
    static func readCompliance(_ node: ConfigNode) -> Compliance {
        node.expectKeys([
            "audit", "orgs", "retention_days", "body_retention_days", "retention_sweep_interval_ms",
            "policy_sync_interval_ms",
            "probes",
        ])
        var compliance = Compliance()
        compliance.retentionDays = node.child("retention_days").int(default: 183, range: 1...36_500)
        let bodyRetention = node.child("body_retention_days")
        if bodyRetention.isPresent { compliance.bodyRetentionDays = bodyRetention.int(default: 183, range: 1...36_500) }
        compliance.retentionSweepIntervalMs = node.child("retention_sweep_interval_ms").int(
            default: 3_600_000,
            range: 1_000...86_400_000
        )
        compliance.policySyncIntervalMs = node.child("policy_sync_interval_ms").int(default: 2_000, range: 10...60_000)
        let probes = node.child("probes")
        probes.expectKeys(["enabled", "interval_ms"])
        compliance.probes = Compliance.Probes(
            enabled: probes.child("enabled").bool(default: true),
            intervalMs: probes.child("interval_ms").int(default: 300_000, range: 1_000...86_400_000)
        )
        let audit = node.child("audit")
        audit.expectKeys([
            "origin", "signing_key_file", "trusted_keys", "checkpoint_interval_ms", "checkpoint_entries",
            "strict_timeout_ms",
        ])
        if let origin = audit.child("origin").text {
            if SignedNote.isValidKeyName(origin) {
                compliance.audit.origin = origin
            } else {
                node.context.report(audit.child("origin").path, "is not a valid log name (no spaces or '+', not empty)")
            }
        }
        compliance.audit.signingKeyFile = audit.child("signing_key_file").text
        for (index, key) in audit.child("trusted_keys").stringList().enumerated() {
            if (try? NoteVerifierKey(parsing: key)) == nil {
                node.context.report(
                    audit.child("trusted_keys").path + "[\(index)]",
                    "is not a verifier key (name+keyid+base64)"
                )
            }
            compliance.audit.trustedKeys.append(key)
        }
        compliance.audit.checkpointIntervalMs = audit.child("checkpoint_interval_ms").int(
            default: 60_000,
            range: 1_000...60_000
        )
        compliance.audit.checkpointEntries = audit.child("checkpoint_entries").int(default: 10_000, range: 1...10_000)
        compliance.audit.strictTimeoutMs = audit.child("strict_timeout_ms").int(default: 5_000, range: 100...60_000)
        var seen: Set<String> = []
        for element in node.child("orgs").elements {
            element.expectKeys(["org", "audit", "retention_days", "hipaa", "body_retention_days"])
            guard let org = element.child("org").text else {
                element.context.report(element.child("org").path, "is required")
                continue
            }
            if !seen.insert(org).inserted {
                element.context.report(element.child("org").path, "is listed twice: '\(org)'")
            }
            let retention = element.child("retention_days")
            let bodyRetention = element.child("body_retention_days")
            compliance.orgs.append(
                Compliance.Org(
                    org: OrgID(org),
                    audit: element.child("audit").choice(default: .standard, allowed: [.standard, .strict]),
                    retentionDays: retention.text == nil ? nil : retention.int(default: 183, range: 1...36_500),
                    hipaa: element.child("hipaa").bool(default: false),
                    bodyRetentionDays: bodyRetention.isPresent
                        ? bodyRetention.int(default: 183, range: 1...36_500) : nil
                )
            )
        }
        return compliance
    }
}
