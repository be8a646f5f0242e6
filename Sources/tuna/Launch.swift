import ArgumentParser
import Foundation
import TunaLaunch
import TunaWire

/// `tuna launch`: workers started by a cluster's own scheduler, connecting to a daemon.
struct Launch: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start workers through a cluster's scheduler (they connect to a running daemon).",
        subcommands: [LaunchSlurm.self])
}

/// `tuna launch slurm --to tcp://HOST:PORT --workers N`: a job array whose tasks each run
/// `tuna worker --connect`, submitted with `sbatch`.
struct LaunchSlurm: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "slurm",
        abstract: "Submit a Slurm job array of workers (sbatch); prints the job id.",
        discussion: """
            Each array task runs `tuna worker --connect ENDPOINT --jobs C` (C = --cpus-per-task) and \
            takes trials until the job is cancelled (scancel JOBID), reaches its --time, or the daemon \
            has been unreachable for --give-up-after seconds. The tuna binary and the key files must be \
            at the same paths on the compute nodes (a shared file system). --dry-run prints the script.
            """)

    @Option(help: "The daemon's endpoint as the compute nodes reach it, e.g. tcp://login1:5555.")
    var to: String

    @Option(help: "Array tasks, one worker each (1-\(SlurmJob.maxWorkers)).")
    var workers: Int

    @Option(help: "Slurm partition (or a comma-separated list).")
    var partition: String?

    @Option(help: "Time limit of each task (minutes, HH:MM:SS, D-HH:MM:SS).")
    var time: String?

    @Option(help: "CPUs per task; the task's worker runs as many trial processes.")
    var cpusPerTask = 1

    @Option(help: "Memory per node of each task (4000, 500M, 8G).")
    var mem: String?

    @Option(help: "Account to charge.")
    var account: String?

    @Option(help: "The job's name in squeue.")
    var jobName = "tuna-workers"

    @Option(help: "Each task's output file, with Slurm's patterns (default slurm-%A_%a.out in the directory sbatch runs in).")
    var output: String?

    @Option(name: .customLong("sbatch-option"), parsing: .unconditionalSingleValue,
            help: "A further #SBATCH option, long form (--sbatch-option --qos=long); repeatable.")
    var sbatchOptions: [String] = []

    @OptionGroup var keys: ClientKeyOptions

    @Option(help: "The tuna binary the tasks run, on the compute nodes (default: this one).")
    var tuna: String?

    @Option(help: "The sbatch program.")
    var sbatch = "sbatch"

    @Option(help: "The workers' data set cache (default: ~/.cache/tuna/datasets on each node).")
    var cache: String?

    @Option(help: "Seconds without the daemon before a worker gives up (default the worker's 60).")
    var giveUpAfter: Double?

    @Flag(help: "Let the workers run studies whose objective is a command.")
    var allowCommands = false

    @Flag(help: "Print the batch script instead of submitting it.")
    var dryRun = false

    func run() throws {
        let job = try makeJob()
        if dryRun {
            print(job.script, terminator: "")
            return
        }
        let jobID: String
        do {
            jobID = try Sbatch(program: sbatch).submit(job.script)
        } catch let error as SbatchError {
            FileHandle.standardError.write(Data("tuna launch slurm: \(error)\n".utf8))
            throw ExitCode(1)
        }
        print(jobID)
        FileHandle.standardError.write(Data("""
            submitted job array \(jobID): \(workers) worker task(s) connecting to \(to); `scancel \(jobID)` takes them away

            """.utf8))
    }

    /// The checked job; every refusal names the option it came from.
    func makeJob() throws -> SlurmJob {
        let job: SlurmJob
        do {
            job = try SlurmJob(
                endpoint: to, workers: workers, tuna: try tuna.map(absolute) ?? OwnExecutable.url().path,
                keyFile: keys.key.map(absolute), serverKeyFile: keys.serverKey.map(absolute),
                cpusPerTask: cpusPerTask, jobName: jobName, partition: partition, time: time, memory: mem, account: account,
                output: output, extraOptions: sbatchOptions, allowCommands: allowCommands, giveUpAfter: giveUpAfter,
                cache: cache.map(absolute))
        } catch let error as SlurmJobError {
            throw ValidationError(error.description)
        }
        guard FileManager.default.isExecutableFile(atPath: job.tuna) else {
            throw ValidationError("--tuna: \(job.tuna) is not an executable file here (the tasks run it at this path, so it must be on a file system the compute nodes share)")
        }
        // Read the keys here, so that a missing, unreadable or exposed key file is refused at
        // submission and not by every task after it has waited in the queue.
        if let key = job.keyFile {
            do { _ = try CurveKey.readPair(key) } catch { throw ValidationError("--key: \(error)") }
        }
        if let serverKey = job.serverKeyFile {
            do { _ = try CurveKey.readPublic(serverKey) } catch { throw ValidationError("--server-key: \(error)") }
        }
        return job
    }

    /// The tasks start in the directory sbatch was run from, but paths are made absolute anyway:
    /// the script then means the same wherever it is submitted from.
    func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        return URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath)).standardizedFileURL.path
    }
}
