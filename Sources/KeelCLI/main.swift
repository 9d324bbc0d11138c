import ArgumentParser
import Foundation
import NIOCore
import NIOPosix

// The gateway's request handlers, its upstream connections and its server share one event-loop
// group, and Swift concurrency runs on that same group: a request then never hops between
// Swift's cooperative pool and an event loop (a thread switch each way). This must happen
// before any task runs, hence a synchronous entry point.
do {
    var command = try Keel.parseAsRoot()
    NIOSingletons.groupLoopCountSuggestion = (command as? any EventLoopSizing)?.eventLoopThreads() ?? 1
    NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
    if var asyncCommand = command as? any AsyncParsableCommand {
        try await runAsync(&asyncCommand)
    } else {
        try command.run()
    }
} catch {
    // `keel audit` exits 2 when it cannot run, usage errors included (1 means a failed check).
    if CommandLine.arguments.dropFirst().first == "audit", Keel.exitCode(for: error) != .success, !(error is ExitCode) {
        FileHandle.standardError.write(Data((Keel.fullMessage(for: error) + "\n").utf8))
        exit(Audit.cannotRun)
    }
    Keel.exit(withError: error)
}

/// A command that knows how many event-loop threads it wants before it starts.
protocol EventLoopSizing {
    func eventLoopThreads() -> Int
}

/// Calls the async `run()`; at top level the compiler picks the synchronous overload, which
/// only prints help.
func runAsync(_ command: inout any AsyncParsableCommand) async throws {
    try await command.run()
}
