import FoundationEssentials
import KeelCore
import KeelProviders
import KeelSimulator

extension KeelConfiguration {
    /// Cross-field rules: unique names, routes to known providers, fallbacks to known models.
    public func validationIssues() -> [ConfigurationError.Issue] {
        var issues: [ConfigurationError.Issue] = []
        var providerNames: Set<String> = []
        for (index, provider) in self.providers.enumerated() {
            if !providerNames.insert(provider.name).inserted {
                issues.append(
                    .init(key: "providers[\(index)].name", reason: "duplicate provider name '\(provider.name)'")
                )
            }
            if let file = provider.tlsCAFile, !FileManager.default.isReadableFile(atPath: file) {
                issues.append(.init(key: "providers[\(index)].tls_ca_file", reason: "cannot read '\(file)'"))
            }
        }
        issues += self.tlsIssues()
        var modelNames: Set<String> = []
        for (index, model) in self.models.enumerated() {
            if !modelNames.insert(model.name).inserted {
                issues.append(.init(key: "models[\(index)].name", reason: "duplicate model name '\(model.name)'"))
            }
            if model.routes.isEmpty {
                issues.append(.init(key: "models[\(index)].routes", reason: "needs at least one route"))
            }
            for (routeIndex, route) in model.routes.enumerated() where !providerNames.contains(route.provider) {
                issues.append(
                    .init(
                        key: "models[\(index)].routes[\(routeIndex)].provider",
                        reason: "unknown provider '\(route.provider)'"
                    )
                )
            }
            issues += self.leastCostIssues(model, at: index)
        }
        for (index, model) in self.models.enumerated() {
            for fallback in model.fallbacks where !modelNames.contains(fallback) {
                issues.append(.init(key: "models[\(index)].fallbacks", reason: "unknown model '\(fallback)'"))
            }
            if model.fallbacks.contains(model.name) {
                issues.append(.init(key: "models[\(index)].fallbacks", reason: "a model cannot fall back to itself"))
            }
            // A cut stream continues anywhere but on the deployment that cut it.
            if model.streamResume && model.routes.count < 2 && model.fallbacks.isEmpty {
                issues.append(
                    .init(
                        key: "models[\(index)].stream_resume",
                        reason: "needs a second route or a fallback to continue a stream on"
                    )
                )
            }
        }
        var keyTexts: Set<String> = []
        for (index, key) in self.keys.enumerated() {
            key.key.withExposedValue { text in
                if text.count < 8 {
                    issues.append(.init(key: "keys[\(index)].key", reason: "must be at least 8 characters"))
                }
                if !keyTexts.insert(text).inserted {
                    issues.append(.init(key: "keys[\(index)].key", reason: "duplicate key"))
                }
            }
            for model in key.models where !modelNames.contains(model) {
                issues.append(.init(key: "keys[\(index)].models", reason: "unknown model '\(model)'"))
            }
        }
        if self.storage.isPostgres {
            if !(1...1_000).contains(self.storage.maxConnections) {
                issues.append(.init(key: "storage.max_connections", reason: "must be between 1 and 1000"))
            }
        } else if self.storage.sqlitePath == nil {
            issues.append(
                .init(key: "storage.url", reason: "must be sqlite://PATH or postgres://USER@HOST:PORT/DATABASE")
            )
        } else if self.storage.sqlitePath!.isEmpty {
            issues.append(.init(key: "storage.url", reason: "names no file"))
        }
        if let admin = self.adminKey, admin.withExposedValue({ $0.count < 16 }) {
            issues.append(.init(key: "admin_key", reason: "must be at least 16 characters"))
        }
        return issues
    }

    /// The configuration used when no file is given: SQLite; the built-in simulator's models in
    /// the OpenAI dialect, plus a Claude-style model served in the Anthropic dialect and a
    /// Gemini-style one in Gemini's (so every client can reach every upstream dialect with no
    /// keys); and OpenAI, Anthropic and Gemini models when `OPENAI_API_KEY`, `ANTHROPIC_API_KEY`
    /// and `GEMINI_API_KEY` are set. Tracing follows the `OTEL_*` variables
    /// (``Tracing/applyEnvironment(_:explicitlyDisabled:report:)``).
    ///
    /// - Throws: ``ConfigurationError`` when an `OTEL_*` variable is invalid.
    public static func builtInDefault(environment: [String: String]) throws -> KeelConfiguration {
        var configuration = KeelConfiguration()
        var issues: [ConfigurationError.Issue] = []
        configuration.tracing.applyEnvironment(environment) { issues.append(.init(key: $0, reason: $1)) }
        guard issues.isEmpty else { throw ConfigurationError(issues: issues) }
        // One simulator per upstream dialect; each model is served in its style's dialect.
        configuration.providers = [
            Provider(name: "sim", kind: .simulator),
            Provider(name: "sim-anthropic", kind: .simulator, simulatorDialect: .anthropic),
            Provider(name: "sim-gemini", kind: .simulator, simulatorDialect: .gemini),
        ]
        let styles = ["keel-sim-claude": "sim-anthropic", "keel-sim-gemini": "sim-gemini"]
        // keel-sim-chat falls back to the Claude-style model: failover, and the drills that move
        // a model to its fallbacks, work out of the box.
        configuration.models = SimulatedModel.defaults.map {
            Model(
                name: $0.name,
                routes: [.init(provider: styles[$0.name] ?? "sim", model: $0.name)],
                fallbacks: $0.name == "keel-sim-chat" ? ["keel-sim-claude"] : []
            )
        }
        let real: [(variable: String, kind: Provider.Kind, baseVariable: String, models: [String])] = [
            (
                "OPENAI_API_KEY", .openai, "OPENAI_BASE_URL",
                [
                    "gpt-5", "gpt-5-mini", "gpt-4.1", "gpt-4.1-mini", "gpt-4o", "gpt-4o-mini", "o4-mini",
                    "text-embedding-3-small", "text-embedding-3-large",
                ]
            ),
            (
                "ANTHROPIC_API_KEY", .anthropic, "ANTHROPIC_BASE_URL",
                ["claude-opus-4-5", "claude-sonnet-4-5", "claude-haiku-4-5"]
            ),
            (
                "GEMINI_API_KEY", .gemini, "GEMINI_BASE_URL",
                ["gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.5-flash-lite"]
            ),
        ]
        for upstream in real {
            guard let key = environment[upstream.variable], !key.isEmpty else { continue }
            let name = upstream.kind.rawValue
            let defaultBase = upstream.kind == .openai ? "https://api.openai.com/v1" : nil
            configuration.providers.append(
                Provider(
                    name: name,
                    kind: upstream.kind,
                    baseURL: environment[upstream.baseVariable] ?? defaultBase,
                    apiKey: Secret(key)
                )
            )
            for model in upstream.models {
                configuration.models.append(Model(name: model, routes: [.init(provider: name, model: model)]))
            }
        }
        return configuration
    }
}

extension KeelConfiguration {
    /// `least_cost` needs a price for every route (else it could not order them), and
    /// `latency_objective_ms` means something only to `least_cost`.
    fileprivate func leastCostIssues(_ model: Model, at index: Int) -> [ConfigurationError.Issue] {
        var issues: [ConfigurationError.Issue] = []
        guard model.strategy == .leastCost else {
            if model.latencyObjective != nil {
                issues.append(
                    .init(key: "models[\(index)].latency_objective_ms", reason: "applies only to strategy least_cost")
                )
            }
            return issues
        }
        let prices = PriceCatalog.builtIn(overrides: self.prices)
        for (routeIndex, route) in model.routes.enumerated() where prices.price(for: route.model) == nil {
            issues.append(
                .init(
                    key: "models[\(index)].routes[\(routeIndex)].model",
                    reason: "has no price for least_cost: add '\(route.model)' to prices"
                )
            )
        }
        return issues
    }
}

extension KeelConfiguration {
    /// `server.tls` files readable, and client-certificate identities only with a client CA and
    /// each on one key. Whether the files hold a usable certificate and key is checked when they
    /// are loaded (`keel serve` and `keel config check`).
    func tlsIssues() -> [ConfigurationError.Issue] {
        var issues: [ConfigurationError.Issue] = []
        if let tls = self.server.tls {
            let files =
                [("certificate_file", tls.certificateFile), ("key_file", tls.keyFile)]
                + (tls.clientCAFile.map { [("client_ca_file", $0)] } ?? [])
            for (key, file) in files where !FileManager.default.isReadableFile(atPath: file) {
                issues.append(.init(key: "server.tls.\(key)", reason: "cannot read '\(file)'"))
            }
        }
        var identities: Set<String> = []
        for (index, key) in self.keys.enumerated() {
            guard let identity = key.clientCertificate else { continue }
            if self.server.tls?.clientCAFile == nil {
                issues.append(
                    .init(key: "keys[\(index)].client_certificate", reason: "needs server.tls.client_ca_file")
                )
            }
            if identity.isEmpty || !identities.insert(identity).inserted {
                issues.append(
                    .init(
                        key: "keys[\(index)].client_certificate",
                        reason: identity.isEmpty ? "must not be empty" : "'\(identity)' is already another key's"
                    )
                )
            }
        }
        return issues
    }
}
