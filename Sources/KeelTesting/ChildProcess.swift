import CKeelTesting
public import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A process a test starts: the `keel` executable, `sh`, `openssl`.
///
/// Children are started by one long-lived thread (``SpawnThread``) in C, never by Foundation's
/// `Process`, whose `run()` on Swift 6.3.1 crashes the whole test process now and then (see
/// docs/adr/0011-child-processes-in-tests.md). On Linux each child gets `SIGKILL` as soon as the
/// test process ends, however it ends — a crash or `kill -9` included — so no `keel serve` outlives
/// its test. The guarantee covers the child itself, not processes it starts in turn.
///
/// A `ChildProcess` still running when it is released is killed and reaped, so a test that throws
/// midway leaves nothing behind either.
///
/// ```swift
/// let gateway = try ChildProcess.spawn(keel.path, ["serve", "--config", path])
/// defer { gateway.signal(SIGKILL) }
/// …
/// gateway.signal(SIGTERM)
/// #expect(await gateway.wait() == .exited(0))
/// ```
public final class ChildProcess: Sendable {
    /// Where the child's standard output or error goes.
    public enum Output: Sendable, Equatable {
        /// `/dev/null`.
        case discard
        /// The test process's own stream.
        case inherit
        /// A pipe this object reads with ``readOutput()``; output and error share it when both
        /// are captured, as on a terminal.
        case capture
        /// A file, created or emptied first: for a long-lived child whose logs nobody reads as
        /// they come (a pipe would fill and stop it) but a failed test should show.
        case file(String)
    }

    /// How the child ended.
    public enum Termination: Sendable, Equatable, CustomStringConvertible {
        case exited(Int32)
        case signalled(Int32)

        /// The number a shell's `$?` shows: the exit code, or 128 plus the signal.
        public var status: Int32 {
            switch self {
            case .exited(let code): code
            case .signalled(let signal): 128 + signal
            }
        }

        public var description: String {
            switch self {
            case .exited(let code): "exited with \(code)"
            case .signalled(let signal): "killed by signal \(signal)"
            }
        }
    }

    /// Why a child did not start.
    public struct SpawnFailure: Error, CustomStringConvertible {
        public let executable: String
        public let errorNumber: Int32

        public var description: String {
            "could not start \(self.executable): \(String(cString: strerror(self.errorNumber)))"
        }
    }

    private struct ErrorNumber: Error {
        let code: Int32
    }

    private enum State {
        case running
        case exited(Termination)
    }

    /// The child's process id (a `pid_t`); valid until ``wait()`` has returned.
    public let id: Int32
    /// The read end of the captured output, owned by this object.
    private let outputDescriptor: Int32?
    /// Reaping happens under this lock, and signals are sent under it only while the child is
    /// unreaped, so a signal never reaches a process that took over the id.
    private let state = Mutex(State.running)

    private init(id: Int32, outputDescriptor: Int32?) {
        self.id = id
        self.outputDescriptor = outputDescriptor
    }

    deinit {
        self.state.withLock { state in
            guard case .running = state else { return }
            kill(self.id, SIGKILL)
            _ = Self.reap(self.id)
        }
        if let outputDescriptor { close(outputDescriptor) }
    }

    /// Starts `executable` (a path: there is no `PATH` lookup) with `arguments`, standard input
    /// from `/dev/null`. Returns once the child has executed the program, or throws
    /// ``SpawnFailure`` if it could not be.
    public static func spawn(
        _ executable: String,
        _ arguments: [String] = [],
        environment: [String: String] = ProcessInfo.processInfo.environment,
        directory: String? = nil,
        standardOutput: Output = .discard,
        standardError: Output = .discard
    ) throws -> ChildProcess {
        let argv = [executable] + arguments
        let envp = environment.map { "\($0.key)=\($0.value)" }
        let started = SpawnThread.shared.perform {
            Self.start(executable, argv: argv, envp: envp, directory: directory, standardOutput, standardError)
        }
        switch started {
        case .success(let (id, output)): return ChildProcess(id: id, outputDescriptor: output)
        case .failure(let errorNumber): throw SpawnFailure(executable: executable, errorNumber: errorNumber.code)
        }
    }

    /// Makes the child's descriptors and starts it; runs on the spawn thread, so no other spawn of
    /// ours can start while the parent still holds the child's ends. They are close-on-exec all the
    /// same, for forks elsewhere in the process (Swift Testing's exit tests); the child gets its
    /// copies through dup2.
    private static func start(
        _ executable: String,
        argv: [String],
        envp: [String],
        directory: String?,
        _ standardOutput: Output,
        _ standardError: Output
    ) -> Result<(id: Int32, output: Int32?), ErrorNumber> {
        let null = open("/dev/null", O_RDWR | O_CLOEXEC)
        guard null >= 0 else { return .failure(ErrorNumber(code: errno)) }
        defer { close(null) }
        var pipe: (read: Int32, write: Int32)?
        if standardOutput == .capture || standardError == .capture {
            var ends: [Int32] = [-1, -1]
            guard ckeel_pipe_cloexec(&ends) == 0 else { return .failure(ErrorNumber(code: errno)) }
            pipe = (ends[0], ends[1])
        }
        defer { if let pipe { close(pipe.write) } }
        var files: [Int32] = []
        defer {
            for file in files { close(file) }
        }
        func descriptor(_ output: Output, inherited: Int32) -> Int32 {
            switch output {
            case .discard: return null
            case .inherit: return inherited
            case .capture: return pipe!.write
            case .file(let path):
                let file = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
                if file >= 0 { files.append(file) }
                return file
            }
        }
        let stdout = descriptor(standardOutput, inherited: STDOUT_FILENO)
        // Both to one place share one descriptor, so a file gets both streams in order.
        let stderr =
            standardError == standardOutput && standardError != .inherit
            ? stdout : descriptor(standardError, inherited: STDERR_FILENO)
        guard stdout >= 0, stderr >= 0 else {
            let error = errno
            if let pipe { close(pipe.read) }
            return .failure(ErrorNumber(code: error))
        }
        var id: pid_t = 0
        let error = withCStrings(argv) { argv in
            withCStrings(envp) { envp in
                ckeel_spawn(
                    &id,
                    executable,
                    argv,
                    envp,
                    directory,
                    null,
                    stdout,
                    stderr,
                    SIGKILL
                )
            }
        }
        guard error == 0 else {
            if let pipe { close(pipe.read) }
            return .failure(ErrorNumber(code: error))
        }
        return .success((id, pipe?.read))
    }

    /// Sends `signal` unless the child has already been reaped.
    public func signal(_ signal: Int32) {
        self.state.withLock { state in
            if case .running = state { _ = kill(self.id, signal) }
        }
    }

    /// Waits for the child to end, reaps it and says how it ended. Later calls return the same.
    public func wait() async -> Termination {
        if case .exited(let termination) = self.state.withLock({ $0 }) { return termination }
        return await Self.onOwnThread { self.waitBlocking() }
    }

    /// The next bytes the child wrote to its captured output, or `nil` at the end of it (the
    /// child, and anything it passed the pipe to, has closed it).
    public func readOutput() async -> [UInt8]? {
        guard let descriptor = self.outputDescriptor else { return nil }
        return await Self.onOwnThread { Self.readChunk(descriptor) }
    }

    /// Everything the child writes to its captured output until it closes it, as UTF-8.
    public func readAllOutput() async -> String {
        guard let descriptor = self.outputDescriptor else { return "" }
        let bytes = await Self.onOwnThread {
            var bytes: [UInt8] = []
            while let chunk = Self.readChunk(descriptor) { bytes += chunk }
            return bytes
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private func waitBlocking() -> Termination {
        // WNOWAIT leaves the child unreaped, so its id stays reserved until `state` says so.
        var info = siginfo_t()
        while waitid(P_PID, id_t(self.id), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR {}
        return self.state.withLock { state in
            if case .exited(let termination) = state { return termination }
            let termination = Self.reap(self.id)
            state = .exited(termination)
            return termination
        }
    }

    private static func reap(_ id: pid_t) -> Termination {
        var status: Int32 = 0
        while waitpid(id, &status, 0) < 0 && errno == EINTR {}
        // WIFEXITED and friends are C macros that Swift does not import.
        let signal = status & 0x7f
        return signal == 0 ? .exited((status >> 8) & 0xff) : .signalled(signal)
    }

    private static func readChunk(_ descriptor: Int32) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: 16_384)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count > 0 { return Array(buffer.prefix(count)) }
            if count == 0 || errno != EINTR { return nil }
        }
    }

    /// Runs a blocking call on a thread of its own, so that waiting for a child never holds one
    /// of the few threads that run every test's tasks.
    private static func onOwnThread<Result: Sendable>(_ body: @escaping @Sendable () -> Result) async -> Result {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: body()) }.start()
        }
    }
}

/// Lends `strings` to C as a NULL-terminated `char *const []`.
private func withCStrings<Result>(
    _ strings: [String],
    _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> Result
) -> Result {
    let pointers = strings.map { strdup($0) } + [nil]
    defer {
        for pointer in pointers { free(pointer) }
    }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}
