import KeelCore
import Testing

@testable import KeelServer

/// The rules of ``AdminAuthorization`` as a table: caller × operation × resource × where the
/// object lives → allowed.
@Suite("Admin authorization rules")
struct AdminAuthorizationTests {
    static let admin = AdminCaller(role: .admin, keyID: "k-admin")
    static let auditor = AdminCaller(role: .auditor, keyID: "k-auditor")
    static let teamAdmin = AdminCaller(role: .teamAdmin, keyID: "k-ta", orgID: "acme", teamID: "search")
    static let teamViewer = AdminCaller(role: .viewer, keyID: "k-tv", orgID: "acme", teamID: "search")
    static let orgViewer = AdminCaller(role: .viewer, keyID: "k-ov", orgID: "acme")
    static let unscopedViewer = AdminCaller(role: .viewer, keyID: "k-uv")
    static let dataPlane = AdminCaller(role: .dataPlane, keyID: "k-dp", orgID: "acme", teamID: "search")

    /// Places objects live in.
    static let acme = AdminScope(orgID: "acme")
    static let search = AdminScope(orgID: "acme", teamID: "search")
    static let ads = AdminScope(orgID: "acme", teamID: "ads")
    static let globex = AdminScope(orgID: "globex")
    static let labs = AdminScope(orgID: "globex", teamID: "labs")
    /// A legacy key bound to team `search` by free text, without an org.
    static let searchWithoutOrg = AdminScope(teamID: "search")

    struct Row: Sendable, CustomTestStringConvertible {
        let caller: AdminCaller
        let name: String
        let operation: AdminOperation
        let resource: AdminResource
        let target: AdminScope
        let allowed: Bool
        var testDescription: String {
            "\(self.name) \(self.operation.rawValue) \(self.resource.rawValue) in \(self.target.orgID?.rawValue ?? "-")/\(self.target.teamID?.rawValue ?? "-") → \(self.allowed)"
        }
    }

    static func row(
        _ caller: AdminCaller,
        _ name: String,
        _ operation: AdminOperation,
        _ resource: AdminResource,
        _ target: AdminScope,
        _ allowed: Bool
    ) -> Row {
        Row(caller: caller, name: name, operation: operation, resource: resource, target: target, allowed: allowed)
    }

    static let table: [Row] = {
        var rows: [Row] = []
        // admin: everything, anywhere.
        for operation in AdminOperation.allCases {
            for resource in AdminResource.allCases {
                rows.append(row(admin, "admin", operation, resource, labs, true))
            }
        }
        // auditor: reads everything, changes nothing.
        for resource in AdminResource.allCases {
            rows.append(row(auditor, "auditor", .read, resource, labs, true))
            for operation in [AdminOperation.create, .update, .delete] {
                rows.append(row(auditor, "auditor", operation, resource, search, false))
            }
        }
        // none: nothing at all.
        for operation in AdminOperation.allCases {
            rows.append(row(dataPlane, "none", operation, .team, search, false))
            rows.append(row(dataPlane, "none", operation, .key, search, false))
        }
        rows += [
            // team viewer: reads its team only; an organisation is never inside a team scope.
            row(teamViewer, "team viewer", .read, .team, search, true),
            row(teamViewer, "team viewer", .read, .project, search, true),
            row(teamViewer, "team viewer", .read, .key, searchWithoutOrg, true),
            row(teamViewer, "team viewer", .read, .requestLog, search, true),
            row(teamViewer, "team viewer", .read, .team, ads, false),
            row(teamViewer, "team viewer", .read, .user, acme, false),
            row(teamViewer, "team viewer", .read, .organization, acme, false),
            row(teamViewer, "team viewer", .read, .project, labs, false),
            row(teamViewer, "team viewer", .create, .project, search, false),
            row(teamViewer, "team viewer", .update, .userMembership, search, false),
            row(teamViewer, "team viewer", .delete, .key, search, false),
            // org viewer: reads its organisation, nothing else.
            row(orgViewer, "org viewer", .read, .organization, acme, true),
            row(orgViewer, "org viewer", .read, .team, ads, true),
            row(orgViewer, "org viewer", .read, .user, acme, true),
            row(orgViewer, "org viewer", .read, .organization, globex, false),
            row(orgViewer, "org viewer", .read, .team, labs, false),
            row(orgViewer, "org viewer", .read, .key, searchWithoutOrg, false),
            row(orgViewer, "org viewer", .update, .organization, acme, false),
            // a viewer bound to nothing sees nothing.
            row(unscopedViewer, "unscoped viewer", .read, .team, search, false),
            row(unscopedViewer, "unscoped viewer", .read, .organization, acme, false),
            // team admin: reads its team; manages its team's projects and keys.
            row(teamAdmin, "team admin", .read, .team, search, true),
            row(teamAdmin, "team admin", .read, .team, ads, false),
            row(teamAdmin, "team admin", .create, .project, search, true),
            row(teamAdmin, "team admin", .update, .project, search, true),
            row(teamAdmin, "team admin", .delete, .project, search, true),
            row(teamAdmin, "team admin", .create, .project, ads, false),
            row(teamAdmin, "team admin", .delete, .project, labs, false),
            row(teamAdmin, "team admin", .create, .key, search, true),
            row(teamAdmin, "team admin", .delete, .key, searchWithoutOrg, true),
            row(teamAdmin, "team admin", .create, .key, ads, false),
            row(teamAdmin, "team admin", .create, .key, acme, false),
            // … users' membership: its team's users, and its organisation's users without a team.
            row(teamAdmin, "team admin", .update, .userMembership, search, true),
            row(teamAdmin, "team admin", .update, .userMembership, acme, true),
            row(teamAdmin, "team admin", .update, .userMembership, ads, false),
            row(teamAdmin, "team admin", .update, .userMembership, globex, false),
            row(teamAdmin, "team admin", .update, .user, search, false),
            row(teamAdmin, "team admin", .create, .user, search, false),
            row(teamAdmin, "team admin", .delete, .user, search, false),
            // … never the team itself, nor organisations.
            row(teamAdmin, "team admin", .create, .team, search, false),
            row(teamAdmin, "team admin", .update, .team, search, false),
            row(teamAdmin, "team admin", .delete, .team, search, false),
            row(teamAdmin, "team admin", .read, .organization, acme, false),
            row(teamAdmin, "team admin", .update, .organization, acme, false),
            // rate limits: a team admin manages its team's keys' limits, never its team's or a
            // model's (resource rateLimit, which lives in the team, or nowhere for a model).
            row(teamAdmin, "team admin", .create, .keyRateLimit, search, true),
            row(teamAdmin, "team admin", .update, .keyRateLimit, search, true),
            row(teamAdmin, "team admin", .delete, .keyRateLimit, searchWithoutOrg, true),
            row(teamAdmin, "team admin", .create, .keyRateLimit, ads, false),
            row(teamAdmin, "team admin", .create, .keyRateLimit, AdminScope(), false),
            row(teamAdmin, "team admin", .read, .rateLimit, search, true),
            row(teamAdmin, "team admin", .read, .rateLimit, AdminScope(), false),
            row(teamAdmin, "team admin", .create, .rateLimit, search, false),
            row(teamAdmin, "team admin", .update, .rateLimit, search, false),
            row(teamAdmin, "team admin", .delete, .rateLimit, search, false),
            row(teamViewer, "team viewer", .read, .rateLimit, search, true),
            row(teamViewer, "team viewer", .read, .keyRateLimit, search, true),
            row(teamViewer, "team viewer", .read, .rateLimit, ads, false),
            row(teamViewer, "team viewer", .read, .rateLimit, AdminScope(), false),
            row(teamViewer, "team viewer", .create, .keyRateLimit, search, false),
            row(orgViewer, "org viewer", .read, .rateLimit, ads, true),
            row(orgViewer, "org viewer", .read, .keyRateLimit, labs, false),
            row(auditor, "auditor", .read, .rateLimit, AdminScope(), true),
            row(auditor, "auditor", .create, .keyRateLimit, search, false),
            row(dataPlane, "none", .read, .rateLimit, search, false),
            row(dataPlane, "none", .create, .keyRateLimit, search, false),
            // budgets: a team admin manages those inside its team (the admin API also refuses
            // one on the team itself); viewers and auditors read within their reach only.
            row(teamAdmin, "team admin", .create, .budget, search, true),
            row(teamAdmin, "team admin", .update, .budget, search, true),
            row(teamAdmin, "team admin", .delete, .budget, search, true),
            row(teamAdmin, "team admin", .read, .budget, search, true),
            row(teamAdmin, "team admin", .create, .budget, ads, false),
            row(teamAdmin, "team admin", .update, .budget, labs, false),
            row(teamAdmin, "team admin", .delete, .budget, ads, false),
            row(teamAdmin, "team admin", .create, .budget, acme, false),
            row(teamAdmin, "team admin", .read, .budget, ads, false),
            row(teamViewer, "team viewer", .read, .budget, search, true),
            row(teamViewer, "team viewer", .read, .budget, ads, false),
            row(teamViewer, "team viewer", .create, .budget, search, false),
            row(teamViewer, "team viewer", .update, .budget, search, false),
            row(teamViewer, "team viewer", .delete, .budget, search, false),
            row(orgViewer, "org viewer", .read, .budget, ads, true),
            row(orgViewer, "org viewer", .read, .budget, labs, false),
            row(orgViewer, "org viewer", .create, .budget, acme, false),
            row(auditor, "auditor", .read, .budget, labs, true),
            row(auditor, "auditor", .create, .budget, labs, false),
            row(auditor, "auditor", .update, .budget, search, false),
            row(auditor, "auditor", .delete, .budget, search, false),
        ]
        return rows
    }()

    @Test(arguments: table)
    func eachRuleOfTheTable(row: Row) {
        #expect(AdminAuthorization.allows(row.caller, row.operation, row.resource, in: row.target) == row.allowed)
        // A call allowed somewhere is allowed by the early check too.
        if row.allowed {
            #expect(AdminAuthorization.mayEver(row.caller, row.operation, row.resource))
        }
    }

    @Test(arguments: [
        (admin, AdminRole.admin, true), (admin, .auditor, true), (admin, .dataPlane, true),
        (teamAdmin, .admin, false), (teamAdmin, .auditor, false), (teamAdmin, .teamAdmin, true),
        (teamAdmin, .viewer, true), (teamAdmin, .dataPlane, true),
        (auditor, .dataPlane, false), (teamViewer, .viewer, false), (dataPlane, .dataPlane, false),
    ])
    func whoMayGrantWhichRole(caller: AdminCaller, role: AdminRole, allowed: Bool) {
        #expect(AdminAuthorization.mayGrant(caller, role) == allowed)
    }

    @Test func listsAreScopedByRole() {
        #expect(AdminAuthorization.listScope(Self.admin) == .everything)
        #expect(AdminAuthorization.listScope(Self.auditor) == .everything)
        #expect(AdminAuthorization.listScope(Self.teamViewer) == .within(Self.search))
        #expect(AdminAuthorization.listScope(Self.teamAdmin) == .within(Self.search))
        #expect(AdminAuthorization.listScope(Self.orgViewer) == .within(Self.acme))
        #expect(AdminAuthorization.listScope(Self.unscopedViewer) == .nothing)
        #expect(AdminAuthorization.listScope(Self.dataPlane) == .nothing)
    }

    @Test func callersThatMayNeverChangeAnythingAreRefusedEarly() {
        for operation in [AdminOperation.create, .update, .delete] {
            for resource in AdminResource.allCases {
                #expect(!AdminAuthorization.mayEver(Self.auditor, operation, resource))
                #expect(!AdminAuthorization.mayEver(Self.teamViewer, operation, resource))
            }
        }
        #expect(!AdminAuthorization.mayEver(Self.dataPlane, .read, .requestLog))
        #expect(!AdminAuthorization.mayEver(Self.teamAdmin, .create, .organization))
        #expect(AdminAuthorization.mayEver(Self.teamAdmin, .update, .userMembership))
        #expect(AdminAuthorization.mayEver(Self.teamAdmin, .create, .keyRateLimit))
        #expect(!AdminAuthorization.mayEver(Self.teamAdmin, .create, .rateLimit))
        #expect(!AdminAuthorization.mayEver(Self.teamViewer, .delete, .keyRateLimit))
    }
}
