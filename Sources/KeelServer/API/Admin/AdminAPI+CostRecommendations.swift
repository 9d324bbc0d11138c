import Hummingbird
import KeelCore
import KeelOps
import KeelStorage

extension AdminAPI {
    /// `GET /admin/v1/costs/recommendations?from&to`: right-sizing suggestions from the traffic
    /// of `[from, to)` (Unix seconds or RFC 3339, as for `/admin/v1/costs`; default the 30 days up
    /// to the end of the current minute), largest projected monthly saving first. The rules and
    /// the saving formulas are ``CostRecommender``'s; prices are the catalog with the
    /// configuration's overrides.
    ///
    /// Scoped like `/admin/v1/costs`: admins and auditors see every scope; viewers and team
    /// admins their team's (or organisation's) traffic only.
    func costRecommendations(_ request: Request) async throws -> Response {
        let caller = try self.authenticate(request, .read, .requestLog)
        let parameters = request.uri.queryParameters
        let (from, to) = try Self.costWindow(parameters)
        guard from < to else { throw KeelError.invalidRequest("Invalid 'to': not after 'from'.", param: "to") }
        var profiles: [UsageProfile] = []
        if let within = Self.costScope(caller) {
            profiles = try await self.stores.costs.usageProfiles(UsageProfileQuery(from: from, to: to, within: within))
        }
        let recommendations = CostRecommender(prices: self.prices).recommendations(for: profiles, windowSeconds: to - from)
        return try Self.encode(CostRecommendationsView(from: from, to: to, recommendations: recommendations))
    }

    /// The recommendations as the admin API shows them: money as nano-dollars and as decimal
    /// dollars, as in cost reports.
    struct CostRecommendationsView: Encodable {
        let from: Int64
        let to: Int64
        let recommendations: [CostRecommendation]

        enum CodingKeys: String, CodingKey {
            case from, to, data
            case totalSavingNanos = "projected_monthly_saving_nanos"
            case totalSavingUSD = "projected_monthly_saving_usd"
        }

        struct Item: Encodable {
            let recommendation: CostRecommendation

            enum CodingKeys: String, CodingKey {
                case kind, scope, team, project, key, model, provider, action, evidence
                case currentModel = "current_model"
                case suggestedModel = "suggested_model"
                case savingNanos = "projected_monthly_saving_nanos"
                case savingUSD = "projected_monthly_saving_usd"
            }

            enum EvidenceKeys: String, CodingKey {
                case requests
                case averageInput = "avg_input_tokens"
                case averageOutput = "avg_output_tokens"
                case cachedInput = "cached_input_tokens"
                case repeated = "repeated_prefix_requests"
                case costNanos = "current_monthly_cost_nanos"
                case costUSD = "current_monthly_cost_usd"
            }

            func encode(to encoder: any Encoder) throws {
                let item = self.recommendation
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(item.kind.rawValue, forKey: .kind)
                try container.encode(item.scope.description, forKey: .scope)
                try container.encode(item.scope.team, forKey: .team)
                try container.encode(item.scope.project, forKey: .project)
                try container.encode(item.scope.key, forKey: .key)
                try container.encode(item.model, forKey: .model)
                try container.encode(item.provider, forKey: .provider)
                try container.encode(item.currentModel, forKey: .currentModel)
                try container.encode(item.suggestedModel, forKey: .suggestedModel)
                try container.encode(item.action, forKey: .action)
                var evidence = container.nestedContainer(keyedBy: EvidenceKeys.self, forKey: .evidence)
                try evidence.encode(item.evidence.requests, forKey: .requests)
                try evidence.encode(item.evidence.averageInputTokens, forKey: .averageInput)
                try evidence.encode(item.evidence.averageOutputTokens, forKey: .averageOutput)
                try evidence.encode(item.evidence.cachedInputTokens, forKey: .cachedInput)
                try evidence.encode(item.evidence.repeatedPrefixRequests, forKey: .repeated)
                try evidence.encode(item.evidence.currentMonthlyCost.rawValue, forKey: .costNanos)
                try evidence.encode(item.evidence.currentMonthlyCost.decimalString, forKey: .costUSD)
                try container.encode(item.projectedMonthlySaving.rawValue, forKey: .savingNanos)
                try container.encode(item.projectedMonthlySaving.decimalString, forKey: .savingUSD)
            }
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(self.from, forKey: .from)
            try container.encode(self.to, forKey: .to)
            try container.encode(self.recommendations.map(Item.init), forKey: .data)
            let total = self.recommendations.reduce(USDNanos.zero) { $0 + $1.projectedMonthlySaving }
            try container.encode(total.rawValue, forKey: .totalSavingNanos)
            try container.encode(total.decimalString, forKey: .totalSavingUSD)
        }
    }
}
