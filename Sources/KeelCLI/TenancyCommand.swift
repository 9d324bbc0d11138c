import ArgumentParser
import NIOHTTP1

/// One collection of the tenancy tree as `keel orgs|teams|projects|users` manages it, through the
/// admin API of a running gateway (see `Keys.Connection` for `--url` and `--admin-key`): what
/// differs between the four. Their `create`, `list`, `get` and `delete` are written once
/// (``TenancyCreate`` and the others below).
protocol TenancyCommand: AsyncParsableCommand {
    /// The options of `create`, and the JSON body they make.
    associatedtype CreateOptions: TenancyBody
    /// The filters of `list`, and the query parameters they make.
    associatedtype ListFilters: TenancyQueryParameters

    /// The command and the admin API collection (`orgs`).
    static var collection: String { get }
    /// The kind in `Deleted org ….`
    static var noun: String { get }
    /// The kind in help texts (`organisation`), and its plural.
    static var singular: String { get }
    static var plural: String { get }
    /// The JSON fields printed, in order.
    static var columns: [String] { get }
    static var createAbstract: String { get }
    static var deleteAbstract: String { get }
}

/// The options of a `create`.
protocol TenancyBody: ParsableArguments {
    var body: [String: Any] { get }
}

/// The filters of a `list`, as query parameters (`nil`: not given).
protocol TenancyQueryParameters: ParsableArguments {
    var query: [(String, String?)] { get }
}

extension TenancyCommand {
    /// The command group: `create`, `list`, `get`, `delete`.
    static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: Self.collection,
            abstract: "Manage \(Self.plural) through the admin API.",
            subcommands: [
                TenancyCreate<Self>.self, TenancyList<Self>.self, TenancyGet<Self>.self, TenancyDelete<Self>.self,
            ]
        )
    }

    /// `Organisation id.`
    static var idHelp: ArgumentHelp {
        ArgumentHelp(Self.singular.prefix(1).uppercased() + Self.singular.dropFirst() + " id.")
    }

    /// `/admin/v1/{collection}`.
    static var path: String { "/admin/v1/\(Self.collection)" }
}

struct TenancyCreate<Command: TenancyCommand>: AsyncParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "create", abstract: Command.createAbstract)
    }
    @OptionGroup var connection: Keys.Connection
    @OptionGroup var options: Command.CreateOptions

    func run() async throws {
        let created =
            try await self.connection.call(.POST, Command.path, body: self.options.body) as? [String: Any] ?? [:]
        TenancyTable.print([created], columns: Command.columns)
    }
}

struct TenancyList<Command: TenancyCommand>: AsyncParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "list", abstract: "List the \(Command.plural) the key may read.")
    }
    @OptionGroup var connection: Keys.Connection
    @OptionGroup var filters: Command.ListFilters

    func run() async throws {
        let rows = try await TenancyTable.list(self.connection, Command.path, query: self.filters.query)
        TenancyTable.print(rows, columns: Command.columns)
    }
}

struct TenancyGet<Command: TenancyCommand>: AsyncParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "get", abstract: "Show one \(Command.singular).")
    }
    @OptionGroup var connection: Keys.Connection
    @Argument(help: Command.idHelp) var id: String

    func run() async throws {
        try await TenancyTable.show(self.connection, Command.collection, id: self.id, columns: Command.columns)
    }
}

struct TenancyDelete<Command: TenancyCommand>: AsyncParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "delete", abstract: Command.deleteAbstract)
    }
    @OptionGroup var connection: Keys.Connection
    @Argument(help: Command.idHelp) var id: String

    func run() async throws {
        try await TenancyTable.delete(self.connection, Command.collection, id: self.id, noun: Command.noun)
    }
}

/// No filters: `keel orgs list`.
struct NoTenancyFilters: TenancyQueryParameters {
    var query: [(String, String?)] { [] }
}
