import FoundationEssentials
import Hummingbird
import KeelCore
import KeelOps
import KeelStorage

// `/admin/v1/budgets`: create, list and get (with where each budget stands and its forecast),
// update and delete. A change reaches this instance's data plane at once and the others' within
// one `budgets.flush_interval_ms`.
extension AdminAPI {
    struct BudgetInput: Decodable {
        var id: String?
        var name: String?
        /// `org`, `team`, `project`, `user`, `key` or `tag`.
        var scope: String?
        /// The id of the scope, or `key=value` for a tag.
        var scopeID: String?
        /// `daily`, `weekly`, `monthly` or `fixed`.
        var period: String?
        var timeZone: String?
        /// Unix seconds, for a `fixed` period.
        var startsAt: Int64?
        var endsAt: Int64?
        /// Dollars as decimal text (`"250"`, `"12.50"`).
        var limitUSD: String?
        var softLimitUSD: String?
        /// Where a tag budget lives (who may see and change it); other scopes say it themselves.
        var org: String?
        var team: String?

        enum CodingKeys: String, CodingKey {
            case id, name, scope, period, org, team
            case scopeID = "scope_id"
            case timeZone = "time_zone"
            case startsAt = "starts_at"
            case endsAt = "ends_at"
            case limitUSD = "limit_usd"
            case softLimitUSD = "soft_limit_usd"
        }
    }

    struct BudgetView: Encodable {
        struct Status: Encodable {
            var periodStart: Int64?
            var periodEnd: Int64?
            var spentUSD: String
            var heldUSD: String
            var remainingUSD: String
            var softLimitReached: Bool
            var exhausted: Bool
            var forecast: Forecast?

            enum CodingKeys: String, CodingKey {
                case exhausted, forecast
                case periodStart = "period_start"
                case periodEnd = "period_end"
                case spentUSD = "spent_usd"
                case heldUSD = "held_usd"
                case remainingUSD = "remaining_usd"
                case softLimitReached = "soft_limit_reached"
            }
        }

        struct Forecast: Encodable {
            var projectedSpendUSD: String
            var lowerUSD: String
            var upperUSD: String
            var interval = 0.8
            var exhaustionDate: String?
            var earliestExhaustionDate: String?
            var method: String?

            enum CodingKeys: String, CodingKey {
                case interval, method
                case projectedSpendUSD = "projected_spend_usd"
                case lowerUSD = "lower_usd"
                case upperUSD = "upper_usd"
                case exhaustionDate = "exhaustion_date"
                case earliestExhaustionDate = "earliest_exhaustion_date"
            }
        }

        var id: String
        var name: String
        var scope: String
        var scopeID: String
        var org: String?
        var team: String?
        var period: String
        var timeZone: String
        var startsAt: Int64?
        var endsAt: Int64?
        var limitUSD: String
        var softLimitUSD: String?
        var createdAt: Int64
        var updatedAt: Int64
        var status: Status?

        enum CodingKeys: String, CodingKey {
            case id, name, scope, org, team, period, status
            case scopeID = "scope_id"
            case timeZone = "time_zone"
            case startsAt = "starts_at"
            case endsAt = "ends_at"
            case limitUSD = "limit_usd"
            case softLimitUSD = "soft_limit_usd"
            case createdAt = "created_at"
            case updatedAt = "updated_at"
        }

        init(_ budget: Budget, report: BudgetReport?) {
            self.id = budget.id.rawValue
            self.name = budget.name
            self.scope = budget.scopeKind.rawValue
            self.scopeID = budget.scopeValue
            self.org = budget.orgID?.rawValue
            self.team = budget.teamID?.rawValue
            self.period = budget.period.rawValue
            self.timeZone = budget.timeZone
            self.startsAt = budget.startsAt
            self.endsAt = budget.endsAt
            self.limitUSD = budget.limit.decimalString
            self.softLimitUSD = budget.softLimit?.decimalString
            self.createdAt = budget.createdAt / 1_000_000
            self.updatedAt = budget.updatedAt / 1_000_000
            guard let report else { return }
            let day: (Date?) -> String? = { date in
                date.map { date in
                    var calendar = Calendar(identifier: .gregorian)
                    calendar.timeZone = TimeZone(identifier: budget.timeZone) ?? TimeZone(identifier: "UTC")!
                    let parts = calendar.dateComponents([.year, .month, .day], from: date)
                    func pad(_ value: Int?, _ width: Int) -> String {
                        let text = String(value ?? 0)
                        return String(repeating: "0", count: max(0, width - text.count)) + text
                    }
                    return pad(parts.year, 4) + "-" + pad(parts.month, 2) + "-" + pad(parts.day, 2)
                }
            }
            self.status = Status(
                periodStart: report.period?.start,
                periodEnd: report.period?.end,
                spentUSD: report.spent.decimalString,
                heldUSD: report.held.decimalString,
                remainingUSD: max(budget.limit - report.spent, .zero).decimalString,
                softLimitReached: report.softLimitReached,
                exhausted: report.exhausted,
                forecast: report.projection.flatMap { projection in
                    projection.projectedSpend.map { spend in
                        Forecast(
                            projectedSpendUSD: spend.point.decimalString,
                            lowerUSD: spend.lower.decimalString,
                            upperUSD: spend.upper.decimalString,
                            exhaustionDate: day(projection.exhaustionDay),
                            earliestExhaustionDate: day(projection.earliestExhaustionDay),
                            method: projection.forecast.map { "\($0.method)" }
                        )
                    }
                }
            )
        }
    }

    static let budgetShape =
        "name, scope (org, team, project, user, key or tag), scope_id, period (daily, weekly, monthly or fixed), limit_usd, "
        + "and optional id, time_zone, starts_at and ends_at (fixed), soft_limit_usd, org, team"

    func createBudget(_ request: Request) async throws -> Response {
        let caller = try self.authenticate(request, .create, .budget)
        let input = try await Self.decode(BudgetInput.self, from: request, shape: Self.budgetShape)
        let now = WallClock.unixMicros()
        var budget = Budget(
            id: BudgetID(try Self.newID(input.id, prefix: "bud_")),
            name: try Self.name(input.name),
            scopeKind: .team,
            scopeValue: "",
            period: .monthly,
            limit: .zero,
            createdAt: now,
            updatedAt: now
        )
        try await self.apply(input, to: &budget, creating: true)
        try self.requireBudget(caller, .create, budget)
        try await self.stores.budgets.insertBudget(budget)
        try await self.budgets?.reload()
        return try Self.encode(BudgetView(budget, report: nil), status: .created)
    }

    func listBudgets(_ request: Request) async throws -> Response {
        let caller = try self.authenticate(request, .read, .budget)
        let parameters = request.uri.queryParameters
        var views: [BudgetView] = []
        for budget in try await self.stores.budgets.budgets() {
            if let scope = parameters["scope"], budget.scopeKind.rawValue != String(scope) { continue }
            if let scopeID = parameters["scope_id"], budget.scopeValue != String(scopeID) { continue }
            guard AdminAuthorization.allows(caller, .read, .budget, in: AdminScope(orgID: budget.orgID, teamID: budget.teamID)) else { continue }
            views.append(BudgetView(budget, report: try await self.report(budget)))
        }
        return try Self.encode(ListPage(data: views, nextCursor: nil))
    }

    func getBudget(_ request: Request, id: String) async throws -> Response {
        let caller = try self.authenticate(request, .read, .budget)
        let budget = try await self.existingBudget(id)
        try self.require(caller, .read, .budget, in: AdminScope(orgID: budget.orgID, teamID: budget.teamID))
        return try Self.encode(BudgetView(budget, report: try await self.report(budget)))
    }

    /// `PATCH`: any field but `id` and the scope.
    func updateBudget(_ request: Request, id: String) async throws -> Response {
        let caller = try self.authenticate(request, .update, .budget)
        var budget = try await self.existingBudget(id)
        try self.requireBudget(caller, .update, budget)
        let input = try await Self.decode(BudgetInput.self, from: request, shape: Self.budgetShape)
        if input.scope != nil || input.scopeID != nil || input.org != nil || input.team != nil {
            throw KeelError.invalidRequest("A budget's scope cannot change; delete it and create another.", param: "scope")
        }
        if let name = input.name { budget.name = try Self.name(name) }
        try await self.apply(input, to: &budget, creating: false)
        budget.updatedAt = WallClock.unixMicros()
        guard try await self.stores.budgets.updateBudget(budget) else { throw KeelError.notFound("No budget with id '\(id)'.") }
        try await self.budgets?.reload()
        return try Self.encode(BudgetView(budget, report: try await self.report(budget)))
    }

    func deleteBudget(_ request: Request, id: String) async throws -> Response {
        let caller = try self.authenticate(request, .delete, .budget)
        let budget = try await self.existingBudget(id)
        try self.requireBudget(caller, .delete, budget)
        guard try await self.stores.budgets.deleteBudget(id: budget.id) else { throw KeelError.notFound("No budget with id '\(id)'.") }
        try await self.budgets?.reload()
        return try Self.encode(Deleted(id: id, object: "budget"))
    }

    // MARK: Helpers

    private func existingBudget(_ id: String) async throws -> Budget {
        guard let budget = try await self.stores.budgets.budget(id: BudgetID(id)) else {
            throw KeelError.notFound("No budget with id '\(id)'.")
        }
        return budget
    }

    /// A team admin manages budgets inside its team, never one on its team or organisation.
    private func requireBudget(_ caller: AdminCaller, _ operation: AdminOperation, _ budget: Budget) throws(KeelError) {
        try self.require(caller, operation, .budget, in: AdminScope(orgID: budget.orgID, teamID: budget.teamID))
        if caller.role == .teamAdmin, budget.scopeKind == .team || budget.scopeKind == .org {
            throw Self.denied(operation, .budget)
        }
    }

    private func report(_ budget: Budget) async throws -> BudgetReport? {
        let leaseTTL = self.budgets?.settings.leaseTTL ?? .seconds(15)
        return try await BudgetReport.make(BudgetRule(budget), stores: self.stores, now: WallClock.unixMicros(), leaseTTL: leaseTTL)
    }

    /// Applies the fields of `input` that are set; on create the required ones must be.
    private func apply(_ input: BudgetInput, to budget: inout Budget, creating: Bool) async throws {
        if creating {
            guard let scopeText = input.scope, let kind = Budget.ScopeKind(rawValue: scopeText) else {
                throw KeelError.invalidRequest("'scope' must be one of org, team, project, user, key, tag.", param: "scope")
            }
            guard let value = input.scopeID?.trimmedWhitespace(), !value.isEmpty else {
                throw KeelError.invalidRequest("'scope_id' is required: the id of the scope, or key=value for a tag.", param: "scope_id")
            }
            budget.scopeKind = kind
            budget.scopeValue = value
            try await self.placeBudget(&budget, input: input)
            guard input.period != nil, input.limitUSD != nil else {
                throw KeelError.invalidRequest("'period' and 'limit_usd' are required.", param: input.period == nil ? "period" : "limit_usd")
            }
        }
        if let text = input.period {
            guard let period = Budget.Period(rawValue: text) else {
                throw KeelError.invalidRequest("'period' must be one of daily, weekly, monthly, fixed.", param: "period")
            }
            budget.period = period
        }
        if let zone = input.timeZone {
            guard TimeZone(identifier: zone) != nil else {
                throw KeelError.invalidRequest("Unknown 'time_zone' '\(zone)': use an IANA name like Europe/Berlin.", param: "time_zone")
            }
            budget.timeZone = zone
        }
        if let start = input.startsAt { budget.startsAt = start }
        if let end = input.endsAt { budget.endsAt = end }
        if budget.period == .fixed {
            guard let start = budget.startsAt, let end = budget.endsAt, start < end else {
                throw KeelError.invalidRequest("A fixed budget needs 'starts_at' before 'ends_at' (Unix seconds).", param: "starts_at")
            }
        } else {
            budget.startsAt = nil
            budget.endsAt = nil
        }
        if let text = input.limitUSD { budget.limit = try Self.dollars(text, param: "limit_usd") }
        if let text = input.softLimitUSD { budget.softLimit = text.isEmpty ? nil : try Self.dollars(text, param: "soft_limit_usd") }
        if let soft = budget.softLimit, soft > budget.limit {
            throw KeelError.invalidRequest("'soft_limit_usd' must not exceed 'limit_usd'.", param: "soft_limit_usd")
        }
    }

    /// Sets the budget's organisation and team from its scope (which must exist).
    private func placeBudget(_ budget: inout Budget, input: BudgetInput) async throws {
        let value = budget.scopeValue
        switch budget.scopeKind {
        case .org:
            budget.orgID = try await self.existingOrganization(value, param: "scope_id")?.id
        case .team:
            let team = try await self.existingTeam(value, param: "scope_id")
            budget.orgID = team?.orgID
            budget.teamID = team?.id
        case .project:
            guard let project = try await self.stores.tenancy.project(id: ProjectID(value)) else {
                throw KeelError.invalidRequest("Unknown project '\(value)'.", param: "scope_id")
            }
            let team = try await self.stores.tenancy.team(id: project.teamID)
            budget.teamID = project.teamID
            budget.orgID = team?.orgID
        case .user:
            guard let user = try await self.stores.tenancy.user(id: UserID(value)) else {
                throw KeelError.invalidRequest("Unknown user '\(value)'.", param: "scope_id")
            }
            budget.orgID = user.orgID
            budget.teamID = user.defaultTeamID
        case .key:
            guard let key = try await self.stores.keys.key(id: KeyID(value)) else {
                throw KeelError.invalidRequest("Unknown key '\(value)'.", param: "scope_id")
            }
            budget.orgID = key.orgID
            budget.teamID = key.teamID
        case .tag:
            guard let equals = value.firstIndex(of: "="), equals != value.startIndex, value.index(after: equals) != value.endIndex else {
                throw KeelError.invalidRequest("A tag budget's 'scope_id' is key=value, like feature=search.", param: "scope_id")
            }
            let team = try await self.existingTeam(input.team, param: "team")
            budget.teamID = team?.id
            budget.orgID = try await self.existingOrganization(input.org ?? team?.orgID.rawValue)?.id
        }
    }

    /// Decimal dollars (`"12.50"`, at most nine decimals: nano-dollars), exactly.
    static func dollars(_ text: String, param: String) throws(KeelError) -> USDNanos {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        let invalid = KeelError.invalidRequest("'\(param)' must be dollars as decimal text, like \"250\" or \"12.50\".", param: param)
        guard parts.count <= 2, let whole = parts.first, !whole.isEmpty, whole.count <= 9, whole.allSatisfy({ $0.isASCII && $0.isNumber }) else { throw invalid }
        var nanos = Int64(whole)! * 1_000_000_000
        if parts.count == 2 {
            let digits = parts[1]
            guard !digits.isEmpty, digits.count <= 9, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { throw invalid }
            nanos += Int64(digits + String(repeating: "0", count: 9 - digits.count))!
        }
        return USDNanos(nanos)
    }
}
