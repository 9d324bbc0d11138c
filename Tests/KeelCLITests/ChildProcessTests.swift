import Foundation
import KeelTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The test kit's process spawner, which the CLI and TLS tests start `keel`, `sh` and `openssl`
/// with: children must not outlive the test process, and spawns running side by side must not
/// disturb one another.
@Suite("Child processes of a test")
struct ChildProcessTests {
    /// Whether `id` names a process that has not ended: it has a `/proc` entry and is not a zombie
    /// (a killed orphan stays one until its new parent reaps it, which PID 1 here may never do).
    static func isRunning(_ id: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(id)/stat", encoding: .utf8),
            let end = stat.lastIndex(of: ")")
        else { return false }
        let state = stat[stat.index(after: end)...].trimmingCharacters(in: .whitespaces).first
        return state != "Z" && state != "X"
    }

    /// Polls `condition` every 20 ms for up to `seconds`; true as soon as it holds.
    static func eventually(within seconds: Double, _ condition: () -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if condition() { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return condition()
    }

    @Test func aChildIsKilledWhenTheProcessThatStartedItIsKilled() async throws {
        let idsFile = FileManager.default.temporaryDirectory.path + "/keel-spawn-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: idsFile) }
        // The helper is a process of its own (an exit test): it starts a grandchild with the
        // spawner, writes both ids, and waits to be killed the way a crashed test run dies.
        let helper = Task {
            _ = await #expect(processExitsWith: .signal(SIGKILL)) { [idsFile = idsFile as String] in
                let grandchild = try ChildProcess.spawn("/bin/sleep", ["120"])
                try "\(getpid()) \(grandchild.id)".write(toFile: idsFile, atomically: true, encoding: .utf8)
                try await Task.sleep(for: .seconds(60))
                withExtendedLifetime(grandchild) {}
            }
        }
        var ids: [pid_t] = []
        let written = try await Self.eventually(within: 60) {
            let text = (try? String(contentsOfFile: idsFile, encoding: .utf8)) ?? ""
            ids = text.split(separator: " ").compactMap { pid_t($0) }
            return ids.count == 2
        }
        try #require(written, "the helper never started its child")
        let (helperID, grandchildID) = (ids[0], ids[1])
        #expect(Self.isRunning(grandchildID))

        kill(helperID, SIGKILL)
        await helper.value
        #expect(
            try await Self.eventually(within: 5) { !Self.isRunning(grandchildID) },
            "the grandchild outlived its parent"
        )
        kill(grandchildID, SIGKILL)  // in case it did, so it does not run on after the suite
    }

    @Test func aChildOutlivesTheThreadThatAskedForIt() async throws {
        // Linux sends the parent-death signal when the *thread* that created the child ends. Worker
        // threads come and go, so the spawner starts children on a thread of its own; a child asked for by a thread that
        // then ends must live on.
        let (child, thread) = try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(
                    with: Result {
                        // "/proc/thread-self" links to "<pid>/task/<tid>" of the calling thread.
                        let thread = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/thread-self")
                        return (try ChildProcess.spawn("/bin/sleep", ["120"]), thread)
                    }
                )
            }.start()
        }
        let threadEnded = try await Self.eventually(within: 10) {
            !FileManager.default.fileExists(atPath: "/proc/\(thread)")
        }
        try #require(threadEnded)
        // A parent-death signal would have been sent before the thread's /proc entry went, and
        // the kernel keeps the first fatal signal: the child must die of ours, not of SIGKILL.
        child.signal(SIGTERM)
        #expect(await child.wait() == .signalled(SIGTERM))
    }

    @Test func aChildHoldsOnlyItsStandardDescriptors() async throws {
        // A library of the test process that opens a descriptor without close-on-exec, as some do.
        let careless = open("/dev/null", O_RDONLY)
        defer { close(careless) }
        // ls lists its own descriptors: 0–2, then 3, its handle on the directory it reads. Any
        // descriptor it had inherited would come before that one.
        let listed = try await ChildProcess.run("/bin/sh", ["-c", "exec ls -1 /proc/self/fd"])
        #expect(listed.output == "0\n1\n2\n3\n")
    }

    @Test(.timeLimit(.minutes(1))) func childrenStartedSideBySideEachSeeTheEndOfTheirOwnOutput() async throws {
        // Many children at once, long-lived ones among short ones, as when suites run side by side:
        // each short one's output is its own, and ends when it does.
        let sleepers = try await withThrowingTaskGroup(of: ChildProcess.self) { tasks in
            for index in 0..<24 {
                tasks.addTask {
                    let sleeper = try ChildProcess.spawn("/bin/sleep", ["300"], standardOutput: .capture)
                    let echoed = try await ChildProcess.run("/bin/sh", ["-c", "echo \(index); echo oops >&2"])
                    #expect(echoed.output == "\(index)\noops\n")
                    #expect(echoed.termination == .exited(0))
                    return sleeper
                }
            }
            return try await tasks.reduce(into: []) { $0.append($1) }
        }
        for sleeper in sleepers {
            sleeper.signal(SIGKILL)
            #expect(await sleeper.wait() == .signalled(SIGKILL))
        }
    }

    @Test func aProgramThatCannotBeExecutedIsAnErrorNotAChild() async throws {
        #expect(throws: ChildProcess.SpawnFailure.self) {
            try ChildProcess.spawn("/nonexistent/keel")
        }
        let failed = try await ChildProcess.run("/bin/sh", ["-c", "exit 3"])
        #expect(failed.termination == .exited(3) && failed.termination.status == 3)
    }
}
