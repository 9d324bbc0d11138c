import KeelCore
import KeelStorage
import Testing

/// A small tree: two organisations, three teams, projects and users spread over them.
private enum Tree {
    static let acme = Organization(id: "org-acme", name: "Acme", createdAt: 10)
    static let globex = Organization(id: "org-globex", name: "Globex", createdAt: 11, updatedAt: 12)
    static let search = Team(id: "team-search", orgID: "org-acme", name: "Search", createdAt: 20)
    static let ads = Team(id: "team-ads", orgID: "org-acme", name: "Ads", createdAt: 21)
    static let labs = Team(id: "team-labs", orgID: "org-globex", name: "Search", createdAt: 22)
    static let ranking = Project(id: "project-ranking", teamID: "team-search", name: "Ranking", createdAt: 30)
    static let crawler = Project(id: "project-crawler", teamID: "team-search", name: "Crawler", createdAt: 31)
    static let bidding = Project(id: "project-bidding", teamID: "team-ads", name: "Bidding", createdAt: 32)
    static let lab = Project(id: "project-lab", teamID: "team-labs", name: "Ranking", createdAt: 33)
    static let ada = User(
        id: "user-ada",
        orgID: "org-acme",
        name: "Ada \"Countess\" Lovelace",
        email: "ada@acme.test",
        defaultTeamID: "team-search",
        createdAt: 40
    )
    static let bob = User(id: "user-bob", orgID: "org-acme", name: "Bob", defaultTeamID: "team-ads", createdAt: 41)
    static let cy = User(id: "user-cy", orgID: "org-acme", name: "Cy", createdAt: 42)
    static let dee = User(
        id: "user-dee",
        orgID: "org-globex",
        name: "Dee",
        email: "dee@globex.test",
        defaultTeamID: "team-labs",
        createdAt: 43
    )

    static func insert(into store: any TenancyStore) async throws {
        for organization in [acme, globex] { try await store.insertOrganization(organization) }
        for team in [search, ads, labs] { try await store.insertTeam(team) }
        for project in [ranking, crawler, bidding, lab] { try await store.insertProject(project) }
        for user in [ada, bob, cy, dee] { try await store.insertUser(user) }
    }
}

@Suite("TenancyStore conformance")
struct TenancyStoreConformanceTests {
    @Test(arguments: StoreBackend.enabled)
    func insertedRowsReadBackWithEveryField(backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            let store = stores.tenancy
            try await Tree.insert(into: store)
            #expect(try await store.organization(id: "org-globex") == Tree.globex)
            #expect(try await store.team(id: "team-labs") == Tree.labs)
            #expect(try await store.project(id: "project-ranking") == Tree.ranking)
            #expect(try await store.user(id: "user-ada") == Tree.ada)
            #expect(try await store.user(id: "user-cy") == Tree.cy)
            #expect(try await store.organization(id: "org-unknown") == nil)
            #expect(try await store.team(id: "team-unknown") == nil)
            #expect(try await store.project(id: "project-unknown") == nil)
            #expect(try await store.user(id: "user-unknown") == nil)
        }
    }

    @Test(arguments: StoreBackend.enabled)
    func listsFilterByOrganisationAndTeamInIDOrder(backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            let store = stores.tenancy
            try await Tree.insert(into: store)
            #expect(try await store.organizations(matching: .init()).map(\.id) == ["org-acme", "org-globex"])
            #expect(try await store.organizations(matching: .init(orgIDs: ["org-globex"])).map(\.id) == ["org-globex"])
            #expect(try await store.teams(matching: .init()).map(\.id) == ["team-ads", "team-labs", "team-search"])
            #expect(
                try await store.teams(matching: .init(orgIDs: ["org-acme"])).map(\.id) == ["team-ads", "team-search"]
            )
            #expect(
                try await store.teams(matching: .init(orgIDs: ["org-acme"], teamIDs: ["team-search", "team-labs"]))
                    .map(\.id) == ["team-search"]
            )
            #expect(
                try await store.projects(matching: .init(teamIDs: ["team-search"])).map(\.id) == [
                    "project-crawler", "project-ranking",
                ]
            )
            #expect(
                try await store.projects(matching: .init(orgIDs: ["org-acme"])).map(\.id) == [
                    "project-bidding", "project-crawler", "project-ranking",
                ]
            )
            #expect(
                try await store.users(matching: .init(orgIDs: ["org-acme"])).map(\.id) == [
                    "user-ada", "user-bob", "user-cy",
                ]
            )
            #expect(
                try await store.users(matching: .init(teamIDs: ["team-ads", "team-labs"])).map(\.id) == [
                    "user-bob", "user-dee",
                ]
            )
            // An empty set matches nothing; nil does not restrict.
            #expect(try await store.teams(matching: .init(orgIDs: [])).isEmpty)
            #expect(try await store.users(matching: .init(teamIDs: [])).isEmpty)
        }
    }

    @Test(arguments: StoreBackend.enabled)
    func aCursorPagesThroughEveryRowExactlyOnce(backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            let store = stores.tenancy
            try await store.insertOrganization(Tree.acme)
            // Byte order: upper case before lower case, "team-10" before "team-9".
            let ids = ["team-9", "team-10", "Team-x", "team-a", "team-ä", "team-b"]
            for (index, id) in ids.enumerated() {
                try await store.insertTeam(Team(id: TeamID(id), orgID: "org-acme", name: "t\(index)", createdAt: 1))
            }
            var seen: [String] = []
            var after: String?
            repeat {
                let page = try await store.teams(matching: .init(after: after, limit: 4))
                seen += page.map(\.id.rawValue)
                after = page.count == 4 ? page.last?.id.rawValue : nil
            } while after != nil
            #expect(seen == ["Team-x", "team-10", "team-9", "team-a", "team-b", "team-ä"])
        }
    }

    @Test(arguments: StoreBackend.enabled)
    func updatesReplaceMutableFieldsAndReportUnknownRows(backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            let store = stores.tenancy
            try await Tree.insert(into: store)
            var acme = Tree.acme
            acme.name = "Acme Corp"
            acme.updatedAt = 99
            #expect(try await store.updateOrganization(acme))
            #expect(try await store.organization(id: "org-acme") == acme)

            var search = Tree.search
            search.name = "Search & Discovery"
            search.updatedAt = 98
            #expect(try await store.updateTeam(search))
            #expect(try await store.team(id: "team-search") == search)

            var ranking = Tree.ranking
            ranking.name = "Ranking v2"
            ranking.updatedAt = 97
            #expect(try await store.updateProject(ranking))
            #expect(try await store.project(id: "project-ranking") == ranking)

            var cy = Tree.cy
            cy.email = "cy@acme.test"
            cy.defaultTeamID = "team-ads"
            cy.updatedAt = 96
            #expect(try await store.updateUser(cy))
            #expect(try await store.user(id: "user-cy") == cy)
            cy.defaultTeamID = nil
            #expect(try await store.updateUser(cy))
            #expect(try await store.user(id: "user-cy")?.defaultTeamID == nil)

            #expect(try await store.updateOrganization(Organization(id: "org-x", name: "X", createdAt: 1)) == false)
            #expect(try await store.updateTeam(Team(id: "team-x", orgID: "org-acme", name: "X", createdAt: 1)) == false)
            #expect(
                try await store.updateProject(Project(id: "p-x", teamID: "team-ads", name: "X", createdAt: 1)) == false
            )
            #expect(try await store.updateUser(User(id: "u-x", orgID: "org-acme", name: "X", createdAt: 1)) == false)
        }
    }

    @Test(arguments: StoreBackend.enabled)
    func deletingALeafRemovesItAndAnUnknownIDReturnsFalse(backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            let store = stores.tenancy
            try await Tree.insert(into: store)
            #expect(try await store.deleteProject(id: "project-lab"))
            #expect(try await store.project(id: "project-lab") == nil)
            #expect(try await store.deleteUser(id: "user-dee"))
            #expect(try await store.deleteTeam(id: "team-labs"))
            #expect(try await store.deleteOrganization(id: "org-globex"))
            #expect(try await store.organizations(matching: .init()).map(\.id) == ["org-acme"])
            #expect(try await store.deleteProject(id: "project-lab") == false)
            #expect(try await store.deleteUser(id: "user-dee") == false)
            #expect(try await store.deleteTeam(id: "team-labs") == false)
            #expect(try await store.deleteOrganization(id: "org-globex") == false)
        }
    }
}

@Suite("TenancyStore conformance: errors")
struct TenancyStoreErrorConformanceTests {
    @Test(arguments: StoreBackend.enabled)
    func takenIDsAndNamesAreConflicts(backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            let store = stores.tenancy
            try await Tree.insert(into: store)
            let attempts: [(String, @Sendable () async throws -> Void)] = [
                (
                    "org",
                    { try await store.insertOrganization(Organization(id: "org-acme", name: "Other", createdAt: 1)) }
                ),
                (
                    "org",
                    { try await store.insertOrganization(Organization(id: "org-new", name: "Acme", createdAt: 1)) }
                ),
                (
                    "team",
                    { try await store.insertTeam(Team(id: "team-ads", orgID: "org-globex", name: "New", createdAt: 1)) }
                ),
                (
                    "team",
                    { try await store.insertTeam(Team(id: "team-new", orgID: "org-acme", name: "Ads", createdAt: 1)) }
                ),
                (
                    "project",
                    {
                        try await store.insertProject(
                            Project(id: "project-new", teamID: "team-search", name: "Ranking", createdAt: 1)
                        )
                    }
                ),
                (
                    "user_account",
                    {
                        try await store.insertUser(
                            User(id: "user-new", orgID: "org-acme", name: "N", email: "ada@acme.test", createdAt: 1)
                        )
                    }
                ),
            ]
            for (table, attempt) in attempts {
                let error = try await #require(throws: StorageError.self) { try await attempt() }
                #expect(error.code == .conflict)
                #expect(error.message.contains(table))
            }
            // Names are unique only within their parent.
            try await store.insertTeam(Team(id: "team-ads-2", orgID: "org-globex", name: "Ads", createdAt: 1))
            try await store.insertProject(
                Project(id: "project-ranking-2", teamID: "team-ads", name: "Ranking", createdAt: 1)
            )
            #expect(try await store.teams(matching: .init()).count == 4)
        }
    }

    @Test(arguments: StoreBackend.enabled)
    func referencesToMissingRowsAreRefusedAndStoreNothing(backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            let store = stores.tenancy
            try await Tree.insert(into: store)
            let attempts: [@Sendable () async throws -> Void] = [
                { try await store.insertTeam(Team(id: "team-new", orgID: "org-unknown", name: "N", createdAt: 1)) },
                {
                    try await store.insertProject(
                        Project(id: "project-new", teamID: "team-unknown", name: "N", createdAt: 1)
                    )
                },
                { try await store.insertUser(User(id: "user-new", orgID: "org-unknown", name: "N", createdAt: 1)) },
                {
                    try await store.insertUser(
                        User(id: "user-new", orgID: "org-acme", name: "N", defaultTeamID: "team-unknown", createdAt: 1)
                    )
                },
                // A default team of another organisation.
                {
                    try await store.insertUser(
                        User(id: "user-new", orgID: "org-acme", name: "N", defaultTeamID: "team-labs", createdAt: 1)
                    )
                },
                {
                    var bob = Tree.bob
                    bob.defaultTeamID = "team-labs"
                    _ = try await store.updateUser(bob)
                },
            ]
            for attempt in attempts {
                let error = try await #require(throws: StorageError.self) { try await attempt() }
                #expect(error.code == .referenced)
            }
            #expect(try await store.teams(matching: .init()).count == 3)
            #expect(try await store.projects(matching: .init()).count == 4)
            #expect(try await store.users(matching: .init()).count == 4)
            #expect(try await store.user(id: "user-bob") == Tree.bob)
        }
    }

    @Test(arguments: StoreBackend.enabled)
    func deletingARowThatOthersReferToIsRefusedAndDeletesNothing(backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            let store = stores.tenancy
            try await Tree.insert(into: store)
            try await stores.keys.insert(
                VirtualKey(id: "key-cy", hash: "hash-cy", prefix: "sk-keel-cy", userID: "user-cy", createdAt: 1)
            )
            try await stores.keys.insert(
                VirtualKey(
                    id: "key-crawler",
                    hash: "hash-crawler",
                    prefix: "sk-keel-cr",
                    projectID: "project-crawler",
                    createdAt: 1
                )
            )
            let attempts: [@Sendable () async throws -> Bool] = [
                { try await store.deleteOrganization(id: "org-acme") },  // teams and users
                { try await store.deleteTeam(id: "team-search") },  // projects and a user
                { try await store.deleteTeam(id: "team-ads") },  // a project and a user
                { try await store.deleteProject(id: "project-crawler") },  // an unrevoked key
                { try await store.deleteUser(id: "user-cy") },  // an unrevoked key
            ]
            for attempt in attempts {
                let error = try await #require(throws: StorageError.self) { _ = try await attempt() }
                #expect(error.code == .referenced)
            }
            #expect(try await store.organizations(matching: .init()).count == 2)
            #expect(try await store.teams(matching: .init()).count == 3)
            #expect(try await store.projects(matching: .init()).count == 4)
            #expect(try await store.users(matching: .init()).count == 4)

            // A revoked key keeps its binding as history and no longer holds the row.
            #expect(try await stores.keys.revoke(id: "key-cy", at: 5))
            #expect(try await store.deleteUser(id: "user-cy"))
            #expect(try await stores.keys.key(id: "key-cy")?.userID == "user-cy")
        }
    }

    @Test(arguments: StoreBackend.enabled)
    func aTeamWithAnUnrevokedKeyCannotBeDeleted(backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            let store = stores.tenancy
            try await store.insertOrganization(Tree.globex)
            try await store.insertTeam(Tree.labs)
            try await stores.keys.insert(
                VirtualKey(
                    id: "key-labs",
                    hash: "hash-labs",
                    prefix: "sk-keel-lb",
                    orgID: "org-globex",
                    teamID: "team-labs",
                    createdAt: 1
                )
            )
            let error = try await #require(throws: StorageError.self) {
                _ = try await store.deleteTeam(id: "team-labs")
            }
            #expect(error.code == .referenced)
            #expect(error.message.contains("virtual_key.team_id"))
            #expect(try await stores.keys.revoke(id: "key-labs", at: 2))
            #expect(try await store.deleteTeam(id: "team-labs"))
            // The organisation still has the (revoked) key bound to it: history, not a reference.
            #expect(try await store.deleteOrganization(id: "org-globex"))
        }
    }
}

/// Rules every kind follows alike because one generic shape serves them all: each is checked
/// here for every kind, so that a kind described wrongly (a column, a filter, a key binding)
/// shows up.
@Suite("TenancyStore conformance: every kind")
struct TenancyStoreKindConformanceTests {
    /// The `virtual_key` columns that bind a key to each kind.
    static let keyBindings = ["org_id", "team_id", "project_id", "user_id"]

    @Test(arguments: StoreBackend.enabled, Self.keyBindings)
    func eachKindIsHeldOnlyByUnrevokedKeysBoundThroughItsOwnColumn(backend: StoreBackend, binding: String) async throws
    {
        try await backend.withStores { stores async throws in
            let store = stores.tenancy
            // One id for a row of every kind, so that a kind reading another kind's key column
            // would refuse (or allow) the wrong delete.
            try await store.insertOrganization(Organization(id: "x", name: "X", createdAt: 1))
            try await store.insertTeam(Team(id: "x", orgID: "x", name: "X", createdAt: 1))
            try await store.insertProject(Project(id: "x", teamID: "x", name: "X", createdAt: 1))
            try await store.insertUser(User(id: "x", orgID: "x", name: "X", createdAt: 1))
            try await stores.keys.insert(
                VirtualKey(
                    id: "key-x",
                    hash: "hash-x",
                    prefix: "sk-keel-x",
                    orgID: binding == "org_id" ? "x" : nil,
                    teamID: binding == "team_id" ? "x" : nil,
                    projectID: binding == "project_id" ? "x" : nil,
                    userID: binding == "user_id" ? "x" : nil,
                    createdAt: 1
                )
            )
            // Leaves first: the held row refuses for the key, its parents for their children.
            let deletes: [(String, @Sendable () async throws -> Bool)] = [
                ("project_id", { try await store.deleteProject(id: "x") }),
                ("user_id", { try await store.deleteUser(id: "x") }),
                ("team_id", { try await store.deleteTeam(id: "x") }),
                ("org_id", { try await store.deleteOrganization(id: "x") }),
            ]
            let parents = ["project_id": ["team_id", "org_id"], "user_id": ["org_id"], "team_id": ["org_id"]]
            var refused: [@Sendable () async throws -> Bool] = []
            for (column, delete) in deletes {
                if column == binding || parents[binding, default: []].contains(column) {
                    let error = try await #require(throws: StorageError.self) { _ = try await delete() }
                    #expect(error.code == .referenced)
                    #expect(error.message.contains("virtual_key.\(column)") == (column == binding), "\(error)")
                    refused.append(delete)
                } else {
                    #expect(try await delete(), "\(column)")
                }
            }
            // Once revoked, the key holds nothing: the rest goes.
            #expect(try await stores.keys.revoke(id: "key-x", at: 2))
            for delete in refused { #expect(try await delete()) }
            #expect(try await store.organizations(matching: .init()).isEmpty)
            #expect(try await stores.keys.key(id: "key-x") != nil)
        }
    }

    @Test(arguments: StoreBackend.enabled)
    func updatesNeverMoveARowNorChangeItsCreationTime(backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            let store = stores.tenancy
            try await Tree.insert(into: store)
            #expect(
                try await store.updateOrganization(Organization(id: "org-acme", name: "A", createdAt: 1, updatedAt: 2))
            )
            #expect(
                try await store.organization(id: "org-acme")
                    == Organization(id: "org-acme", name: "A", createdAt: Tree.acme.createdAt, updatedAt: 2)
            )
            #expect(
                try await store.updateTeam(
                    Team(id: "team-ads", orgID: "org-globex", name: "A", createdAt: 1, updatedAt: 3)
                )
            )
            #expect(
                try await store.team(id: "team-ads")
                    == Team(id: "team-ads", orgID: "org-acme", name: "A", createdAt: Tree.ads.createdAt, updatedAt: 3)
            )
            #expect(
                try await store.updateProject(
                    Project(id: "project-lab", teamID: "team-search", name: "L", createdAt: 1, updatedAt: 4)
                )
            )
            #expect(
                try await store.project(id: "project-lab")
                    == Project(
                        id: "project-lab",
                        teamID: "team-labs",
                        name: "L",
                        createdAt: Tree.lab.createdAt,
                        updatedAt: 4
                    )
            )
            // A user keeps its organisation; its default team changes (within that organisation).
            var bob = Tree.bob
            bob.orgID = "org-globex"
            bob.defaultTeamID = "team-search"
            bob.createdAt = 1
            bob.updatedAt = 5
            #expect(try await store.updateUser(bob))
            var expected = Tree.bob
            expected.defaultTeamID = "team-search"
            expected.updatedAt = 5
            #expect(try await store.user(id: "user-bob") == expected)
        }
    }

    @Test(arguments: StoreBackend.enabled)
    func everyKindPagesInIDOrderAndIgnoresFiltersThatDoNotApplyToIt(backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            let store = stores.tenancy
            try await Tree.insert(into: store)
            #expect(
                try await store.organizations(matching: .init(after: "org-acme", limit: 5)).map(\.id) == ["org-globex"]
            )
            #expect(try await store.organizations(matching: .init(limit: 1)).map(\.id) == ["org-acme"])
            #expect(try await store.teams(matching: .init(after: "team-ads", limit: 1)).map(\.id) == ["team-labs"])
            #expect(
                try await store.projects(matching: .init(after: "project-crawler", limit: 2)).map(\.id) == [
                    "project-lab", "project-ranking",
                ]
            )
            #expect(
                try await store.users(matching: .init(after: "user-bob", limit: 5)).map(\.id) == [
                    "user-cy", "user-dee",
                ]
            )
            // Organisations have no team: a team filter, even an empty one, does not restrict them.
            #expect(try await store.organizations(matching: .init(teamIDs: [])).count == 2)
            // Both filters together, on every kind they apply to.
            let acmeSearch = TenancyQuery(orgIDs: ["org-acme"], teamIDs: ["team-search", "team-labs"])
            #expect(try await store.teams(matching: acmeSearch).map(\.id) == ["team-search"])
            #expect(try await store.projects(matching: acmeSearch).map(\.id) == ["project-crawler", "project-ranking"])
            #expect(try await store.users(matching: acmeSearch).map(\.id) == ["user-ada"])
            let none = TenancyQuery(orgIDs: [])
            #expect(try await store.organizations(matching: none).isEmpty)
            #expect(try await store.projects(matching: none).isEmpty)
            #expect(try await store.users(matching: none).isEmpty)
            #expect(try await store.projects(matching: .init(teamIDs: [])).isEmpty)
        }
    }
}
