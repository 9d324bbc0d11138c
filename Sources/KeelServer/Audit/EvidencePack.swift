import Crypto
import FoundationEssentials
import HTTPTypes
import Hummingbird
public import KeelCore
import KeelOps
public import KeelStorage
public import Logging
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// An evidence pack for one framework and period, written into a directory: what an auditor asks
/// for, generated from the live store instead of screenshots.
///
/// - `controls.json`: each mapped control → its automated check → result → evidence files;
/// - `population/requests.jsonl`: every request record of the period (newest first), with
///   `population/requests.sha256` and `population/query.sql`, the exact statement that produced it;
/// - `audit/checkpoint.txt`, `audit/verifier-key.txt` and `audit/inclusion-proofs.jsonl`: the
///   latest signed checkpoint, its key, and inclusion proofs of a random sample of the period's
///   entries against it;
/// - `incidents/incidents.jsonl` (the incidents opened in the period, oldest first, each with its
///   timeline, detections and linked requests) and `incidents/playbooks.json` (the playbooks in
///   force);
/// - `policies/policies.json`, `policies/changes.jsonl` and `policies/probes.jsonl`: the policy
///   set in force (the configuration's and the admin API's), every admin change of the period
///   (`admin_change` entries), and every policy probe result of the period;
/// - `access-review.csv`: every key with its role, bindings, state and last use; active keys
///   unused for 90 days flagged;
/// - `manifest.json`: the framework, period, generation time and SHA-256 of every file.
public struct EvidencePack: Sendable {
    public let framework: String
    /// The period, µs since the epoch, `[from, to)`.
    public let from: Int64
    public let to: Int64
    /// Entries of the period whose inclusion proofs are included.
    public var sampleSize = 25

    public init(framework: String, from: Int64, to: Int64) {
        self.framework = framework
        self.from = from
        self.to = to
    }

    /// What a pack holds, by relative path.
    public struct Written: Sendable {
        /// Every file's bytes, when the pack was built in memory (none when it was written into a
        /// directory as it was made).
        public var files: [String: [UInt8]] = [:]
        /// Every file's SHA-256, lowercase hex.
        public var digests: [String: String] = [:]
        public var records = 0
    }

    /// Builds the pack from `configuration`'s store (opened as `keel serve` does): in memory, or,
    /// with `directory`, into that directory as each file is made (a population of millions of
    /// records never sits in memory whole).
    public func build(
        _ configuration: KeelConfiguration,
        logger: Logger,
        into directory: String? = nil
    ) async throws -> Written {
        guard let framework = ComplianceFramework(rawValue: self.framework) else {
            throw AuditLogCheck.Unavailable(
                description: "Unknown framework '\(self.framework)': one of soc2, hipaa, eu-ai-act."
            )
        }
        return try await AuditLogCheck.withStores(configuration, logger: logger) { stores in
            let signer = try await AuditLogCheck.existingSigner(configuration, stores: stores)
            return try await self.build(
                framework: framework,
                configuration: configuration,
                stores: stores,
                signer: signer,
                output: Output(directory: directory)
            )
        }
    }

    /// Where a pack's files go as they are made, each file's SHA-256 computed on the way.
    final class Output {
        let directory: String?
        var files: [String: [UInt8]] = [:]
        var hashers: [String: SHA256] = [:]
        var handles: [String: UnsafeMutablePointer<FILE>] = [:]

        init(directory: String?) {
            self.directory = directory
        }

        /// Adds `bytes` to the end of the file at `path`.
        func append(_ path: String, _ bytes: [UInt8]) throws {
            self.hashers[path, default: SHA256()].update(data: bytes)
            guard let directory = self.directory else {
                self.files[path, default: []] += bytes
                return
            }
            if self.handles[path] == nil {
                let full = directory + "/" + path
                let parent = String(full[..<(full.lastIndex(of: "/") ?? full.endIndex)])
                try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
                guard let handle = fopen(full, "wb") else {
                    throw AuditLogCheck.Unavailable(description: "Cannot write \(full).")
                }
                self.handles[path] = handle
            }
            guard
                bytes.isEmpty
                    || bytes.withUnsafeBytes({ fwrite($0.baseAddress, 1, $0.count, self.handles[path]!) })
                        == bytes.count
            else {
                throw AuditLogCheck.Unavailable(description: "Cannot write \(directory)/\(path).")
            }
        }

        func put(_ path: String, _ text: String) throws { try self.append(path, Array(text.utf8)) }

        /// Closes the files; every file's digest.
        func finish() throws -> [String: String] {
            defer { self.handles = [:] }
            for (path, handle) in self.handles where fclose(handle) != 0 {
                throw AuditLogCheck.Unavailable(description: "Cannot write \(self.directory ?? "")/\(path).")
            }
            return self.hashers.mapValues { HexCoding.encode($0.finalize()) }
        }
    }

    func build(
        framework: ComplianceFramework,
        configuration: KeelConfiguration,
        stores: KeelStores,
        signer: NoteSigner,
        output: Output = Output(directory: nil)
    ) async throws -> Written {
        var written = Written()
        func put(_ path: String, _ text: String) throws { try output.put(path, text) }

        // The population, page by page.
        var query = RequestRecordQuery(from: self.from, to: self.to, limit: 1_000)
        try put("population/query.sql", query.pageStatement.rendered(for: stores.database.dialect).sql + "\n")
        try output.append("population/requests.jsonl", [])
        while true {
            let page = try await stores.requests.records(matching: query)
            var text = ""
            text.reserveCapacity(page.count * 900)
            for record in page {
                AdminAPI.RecordView(record: record).json(into: &text)
                text += "\n"
            }
            try output.append("population/requests.jsonl", Array(text.utf8))
            written.records += page.count
            guard page.count == query.limit, let last = page.last else { break }
            query.before = .init(startedAt: last.startedAt, id: last.id)
        }
        let populationDigest = output.hashers["population/requests.jsonl"]!.finalize()
        try put("population/requests.sha256", HexCoding.encode(populationDigest) + "  requests.jsonl\n")

        // The audit log: the latest checkpoint, and proofs for a sample of the period's entries.
        if let latest = try await stores.audit.latestCheckpoint() {
            try put("audit/checkpoint.txt", latest.note)
            try put("audit/verifier-key.txt", signer.verifierKey.description + "\n")
            let period = try await stores.database.rows(
                "SELECT idx FROM audit_entry WHERE time_us >= \(self.from) AND time_us < \(self.to) AND idx < \(Int64(latest.treeSize)) ORDER BY idx"
            )
            let indexes = try period.map { UInt64(try $0.decode("idx", as: Int64.self)) }
            var generator = SystemRandomNumberGenerator()
            let sample = Array(indexes.shuffled(using: &generator).prefix(self.sampleSize)).sorted()
            var lines = ""
            for index in sample {
                guard let entry = try await stores.audit.entries(from: index, to: index + 1).first else { continue }
                let proof = try await MerkleProof.inclusion(
                    leafIndex: index,
                    treeSize: latest.treeSize,
                    from: stores.audit
                )
                lines +=
                    #"{"index":\#(index),"tree_size":\#(latest.treeSize),"entry":""# + Base64Coding.encode(entry.bytes)
                lines += #"","hashes":["# + proof.map { #""\#($0.base64)""# }.joined(separator: ",") + "]}\n"
            }
            try put("audit/inclusion-proofs.jsonl", lines)
            try put(
                "audit/entries-in-period.txt",
                "\(indexes.count) entries of the period are covered by the checkpoint; \(sample.count) sampled.\n"
            )
        }

        // Policies and the period's changes.
        let policies = try await PolicyBook.inForce(
            configuration,
            stores: stores,
            logger: Logger(label: "keel.evidence")
        )
        try put("policies/policies.json", "[" + policies.map(\.json).joined(separator: ",") + "]\n")
        var probes = ""
        var probeFrom = self.from
        while true {
            var page = try await stores.policies.probeResults(from: probeFrom, to: self.to, limit: 10_000)
            let full = page.count == 10_000
            // A full page may end inside a run: that run is read again whole with the next page.
            if full, let last = page.last, page.first?.runAt != last.runAt {
                page.removeAll { $0.runAt == last.runAt }
                probeFrom = last.runAt
            } else if let last = page.last {
                probeFrom = last.runAt + 1
            }
            for result in page { probes += AuditAPI.probeJSON(result) + "\n" }
            guard full else { break }
        }
        try put("policies/probes.jsonl", probes)
        var changes = ""
        let changeRows = try await stores.database.rows(
            "SELECT entry FROM audit_entry WHERE kind = 'admin_change' AND time_us >= \(self.from) AND time_us < \(self.to) ORDER BY idx"
        )
        for row in changeRows {
            changes += String(decoding: try row.decode("entry", as: [UInt8].self), as: UTF8.self) + "\n"
        }
        try put("policies/changes.jsonl", changes)

        // Incidents opened in the period, each with its timeline, detections and linked requests,
        // and the playbooks in force.
        var incidents = ""
        let opened = try await stores.incidents.incidents(
            matching: IncidentQuery(since: self.from, limit: 10_000)
        ).filter { $0.openedAt < self.to }
        for incident in opened.reversed() {
            guard case .object(var members) = incident.json else { continue }
            members.append(
                .init(key: "timeline", value: .array(try await stores.incidents.timeline(of: incident.id).map(\.json)))
            )
            members.append(
                .init(
                    key: "detection_list",
                    value: .array(try await stores.incidents.detections(of: incident.id).map(\.json))
                )
            )
            members.append(
                .init(
                    key: "request_ids",
                    value: .array(
                        try await stores.incidents.requestIDs(of: incident.id, limit: 10_000).map(JSONValue.string)
                    )
                )
            )
            incidents += JSONValue.object(members).jsonText + "\n"
        }
        try put("incidents/incidents.jsonl", incidents)
        let playbooks = try await ComplianceStatus.playbooksInForce(configuration, stores: stores)
        try put("incidents/playbooks.json", JSONValue.array(playbooks.map(\.json)).jsonText + "\n")

        // Access review.
        try put("access-review.csv", try await Self.accessReview(stores: stores, now: self.to))

        // Controls, pointing at the files above.
        let status = ComplianceStatus(
            configuration: configuration,
            stores: stores,
            signer: signer,
            completeness: nil,
            policies: policies
        )
        try put("controls.json", await status.evidenceJSON(for: framework))

        // The manifest last: a digest of every file.
        var manifest =
            #"{"framework":""# + framework.rawValue
            + #"","from":\#(self.from / 1_000_000),"to":\#(self.to / 1_000_000)"#
        manifest += #","generated_at":\#(WallClock.unixMicros() / 1_000_000),"records":\#(written.records),"files":{"#
        let digests = output.hashers.mapValues { HexCoding.encode($0.finalize()) }
        manifest += digests.keys.sorted().map { path in #""\#(path)":""# + digests[path]! + #"""# }.joined(
            separator: ","
        )
        try put("manifest.json", manifest + "}}\n")
        written.digests = try output.finish()
        written.files = output.files
        return written
    }

    /// Midnight UTC of `YYYY-MM-DD`, µs since the epoch.
    public static func day(_ text: String) -> Int64? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let year = Int64(parts[0]), let month = Int64(parts[1]), let day = Int64(parts[2]),
            (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        // Days from civil (Howard Hinnant), the inverse of `CivilDate`.
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        guard CivilDate(daysSince1970: days) == CivilDate(year: year, month: month, day: day) else { return nil }
        return days * 86_400_000_000
    }

    /// `key_id,name,role,org,team,project,user,state,created_at,last_used_at,flag` (times in Unix
    /// seconds): every key,
    /// active keys without a request in the 90 days before `now` flagged `unused_90_days`.
    static func accessReview(stores: KeelStores, now: Int64) async throws -> String {
        let lastUse = try await stores.database.rows(
            "SELECT key_id, MAX(started_at) AS last_used FROM request_record WHERE key_id IS NOT NULL GROUP BY key_id"
        )
        var lastUsed: [String: Int64] = [:]
        for row in lastUse { lastUsed[try row.decode("key_id")] = try row.decode("last_used") }
        var csv = "key_id,name,role,org,team,project,user,state,created_at,last_used_at,flag\n"
        let cutoff = now - 90 * 86_400_000_000
        for key in try await stores.keys.allKeys().sorted(by: { $0.id.rawValue < $1.id.rawValue }) {
            let state =
                key.revokedAt != nil ? "revoked" : (key.expiresAt.map { $0 <= now } ?? false) ? "expired" : "active"
            let used = lastUsed[key.id.rawValue]
            let flag = state == "active" && (used ?? key.createdAt) < cutoff ? "unused_90_days" : ""
            let fields = [
                key.id.rawValue, key.name ?? "", key.role.rawValue, key.orgID?.rawValue ?? "",
                key.teamID?.rawValue ?? "",
                key.projectID?.rawValue ?? "", key.userID?.rawValue ?? "", state, String(key.createdAt / 1_000_000),
                used.map { String($0 / 1_000_000) } ?? "", flag,
            ]
            csv += fields.map(Self.csvField).joined(separator: ",") + "\n"
        }
        return csv
    }

    static func csvField(_ text: String) -> String {
        text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" })
            ? "\"" + text.replacing("\"", with: "\"\"") + "\"" : text
    }
}

extension AuditAPI {
    /// `GET /admin/v1/compliance/evidence?framework=…&from=YYYY-MM-DD&to=YYYY-MM-DD`: the evidence
    /// pack of `keel compliance evidence`, as a zip.
    func evidence(
        _ request: Request,
        configuration: KeelConfiguration,
        stores: KeelStores,
        status: ComplianceStatus
    ) async throws -> Response {
        try self.authorizeAuditor(request)
        let parameters = request.uri.queryParameters
        guard let framework = parameters["framework"].flatMap({ ComplianceFramework(rawValue: String($0)) }) else {
            throw KeelError.invalidRequest("Invalid 'framework': one of soc2, hipaa, eu-ai-act.", param: "framework")
        }
        guard let from = parameters["from"].flatMap({ EvidencePack.day(String($0)) }),
            let to = parameters["to"].flatMap({ EvidencePack.day(String($0)) }), from < to
        else {
            throw KeelError.invalidRequest(
                "'from' and 'to' are days YYYY-MM-DD (UTC), 'from' before 'to'.",
                param: "from"
            )
        }
        let pack = EvidencePack(framework: framework.rawValue, from: from, to: to)
        let written = try await pack.build(
            framework: framework,
            configuration: configuration,
            stores: stores,
            signer: self.signer
        )
        let archive = ZipArchive.make(written.files.keys.sorted().map { ($0, written.files[$0]!) })
        var headers: HTTPFields = [.contentType: "application/zip"]
        headers[.contentDisposition] =
            #"attachment; filename="keel-evidence-\#(framework.rawValue)-\#(parameters["from"]!)-\#(parameters["to"]!).zip""#
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: archive)))
    }
}

extension ComplianceStatus {
    /// The control mapping of an evidence pack: each control, its check, result and evidence files.
    func evidenceJSON(for framework: ComplianceFramework) async -> String {
        let results = await self.checks(for: framework)
        let files: [ComplianceCheck.Name: [String]] = [
            .auditLogIntegrity: ["audit/checkpoint.txt", "audit/verifier-key.txt", "audit/inclusion-proofs.jsonl"],
            .auditCompleteness: ["population/requests.jsonl", "population/requests.sha256", "population/query.sql"],
            .checkpointFreshness: ["audit/checkpoint.txt"],
            .authentication: ["access-review.csv"],
            .modelPolicies: ["policies/policies.json", "policies/changes.jsonl"],
            .policyProbes: ["policies/probes.jsonl", "policies/policies.json"],
            .phiRouting: ["policies/policies.json"],
            .incidentResponse: ["incidents/incidents.jsonl", "incidents/playbooks.json"],
        ]
        var items: [String] = []
        for control in Self.controls where control.framework == framework {
            guard let result = results[control.check] else { continue }
            var item = #"{"reference":"#
            JSONWriter.appendString(control.reference, to: &item)
            item += #","title":"#
            JSONWriter.appendString(control.title, to: &item)
            item +=
                #","check":""# + control.check.rawValue + #"","result":""# + result.status.rawValue + #"","reason":"#
            JSONWriter.appendString(result.reason, to: &item)
            item += #","evidence":["# + (files[control.check] ?? []).map { #""\#($0)""# }.joined(separator: ",") + "]}"
            items.append(item)
        }
        return #"{"framework":""# + framework.rawValue + #"","controls":["# + items.joined(separator: ",") + "]}\n"
    }
}
