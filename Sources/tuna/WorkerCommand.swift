import ArgumentParser
import Foundation
import TunaProtocol
import TunaStore
import TunaTensor
import TunaWorker

/// `tuna worker --connect tcp://HOST:PORT [--jobs N]`: attach trial runners to a scheduler,
/// from this machine or any other.
struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run trials for a scheduler (one process per job, one trial each at a time).")

    @Option(help: "The scheduler's endpoint, e.g. tcp://10.0.0.5:5555.")
    var connect: String

    @Option(help: "Worker processes to run here.")
    var jobs = 1

    @Option(help: "This worker's name in logs and the trial table.")
    var name = ProcessInfo.processInfo.hostName

    @Option(help: "Seconds without any scheduler before giving up.")
    var giveUpAfter = 60.0

    @Flag(help: "Log connections and dropped messages to standard error.")
    var verbose = false

    @Option(help: "Where data sets received from the scheduler are cached.")
    var cache = Worker.defaultCacheDirectory

    @Flag(help: "Run studies whose objective is a command (a program run as this user, with the trial's parameters).")
    var allowCommands = false

    @Option(help: "Trials each worker holds at once: one runs, the rest wait in line (for trials of milliseconds, where a round trip per trial would leave the worker idle).")
    var hold = 1

    @OptionGroup var keys: ClientKeyOptions

    func validate() throws {
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1") }
        guard TrialSlots.range.contains(hold) else {
            throw ValidationError("--hold is between \(TrialSlots.range.lowerBound) and \(TrialSlots.range.upperBound)")
        }
        guard connect.hasPrefix("tcp://") || connect.hasPrefix("ipc://") else {
            throw ValidationError("--connect takes an endpoint such as tcp://127.0.0.1:5555, got '\(connect)'")
        }
    }

    func run() throws {
        if jobs > 1 {
            // One process per job: trials share no state and each uses one BLAS thread.
            let executable = try OwnExecutable.url()
            let children = try (1...jobs).map { index -> Process in
                let process = Process()
                process.executableURL = executable
                process.arguments = ["worker", "--connect", connect, "--name", "\(name)-\(index)", "--give-up-after", String(giveUpAfter),
                                     "--cache", cache, "--hold", String(hold)] + (verbose ? ["--verbose"] : []) + (allowCommands ? ["--allow-commands"] : []) + keys.arguments
                try process.run()
                return process
            }
            // SIGINT/SIGTERM to this process reach the children too.
            let stop = StopSignal()
            while children.contains(where: \.isRunning) {
                if stop.requested { children.filter(\.isRunning).forEach { $0.terminate() } }
                usleep(50_000)
            }
            if children.contains(where: { $0.terminationStatus != 0 && $0.terminationReason == .exit }) { throw ExitCode(1) }
            return
        }
        // One trial per process, one core per trial: OpenBLAS read its environment at start-up,
        // so set the thread count directly.
        BLAS.setThreads(1)
        // Trials of a millisecond free and take back heap at every turn; keeping it spares the
        // machine's cores the page faults (they are shared with the scheduler).
        _ = SQLiteTrialStore.keepFreedHeap()
        let stop = StopSignal()
        let logging = verbose
        let worker = try Worker(.init(endpoint: connect, name: name, giveUpAfter: giveUpAfter, log: { message in
            if logging { FileHandle.standardError.write(Data("worker: \(message)\n".utf8)) }
        }, shouldStop: { stop.requested }, cacheDirectory: cache, curve: try keys.load(), allowCommands: allowCommands,
            commandLauncher: [try OwnExecutable.url().path, "command-guard", "--"], slots: hold))
        do {
            _ = try worker.run()
        } catch {
            FileHandle.standardError.write(Data("tuna worker: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}

/// `tuna command-guard -- PROGRAM ARGS...`: runs a command objective's program in a process
/// group that dies with it, with the trial's timeout and with the worker (see `CommandGuard`).
/// Started by workers, not by people.
struct CommandGuardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "command-guard", abstract: "Run a trial's program so that nothing it starts outlives it (used by workers).",
        shouldDisplay: false)

    @Argument(parsing: .captureForPassthrough, help: "The program and its arguments.")
    var command: [String] = []

    func run() throws {
        let arguments = command.first == "--" ? Array(command.dropFirst()) : command
        throw ExitCode(CommandGuard.run(arguments))
    }
}
