/// A Slurm job array of Tuna workers: what `tuna launch slurm` submits. A value, checked when
/// it is made, so that the script can be tested without a cluster and nothing unchecked ever
/// reaches `sbatch` or the shell that runs the script.
public struct SlurmJob: Sendable, Equatable {
    /// Slurm's default `MaxArraySize` is 1001 (indices 0-1000); a larger array is refused by
    /// most clusters anyway, and a typo of an extra digit should not queue 10,000 workers.
    public static let maxWorkers = 1000

    /// The daemon as the compute nodes reach it: `tcp://HOST:PORT`.
    public let endpoint: String
    /// Array tasks, each running one `tuna worker`.
    public let workers: Int
    /// The `tuna` binary the tasks run, an absolute path on the compute nodes' file system.
    public let tuna: String
    /// The worker's key pair and the daemon's public key (absolute paths), or neither.
    public let keyFile: String?
    public let serverKeyFile: String?
    /// CPUs per task; the task's worker runs as many trial processes (`--jobs`).
    public let cpusPerTask: Int
    public let jobName: String
    public let partition: String?
    public let time: String?
    public let memory: String?
    public let account: String?
    public let output: String?
    /// Further `#SBATCH` options, each `--name` or `--name=value`.
    public let extraOptions: [String]
    public let allowCommands: Bool
    public let giveUpAfter: Double?
    /// The workers' data set cache (absolute), for a shared or node-local folder of the user's choice.
    public let cache: String?

    public init(endpoint: String, workers: Int, tuna: String, keyFile: String? = nil, serverKeyFile: String? = nil,
                cpusPerTask: Int = 1, jobName: String = "tuna-workers", partition: String? = nil, time: String? = nil,
                memory: String? = nil, account: String? = nil, output: String? = nil, extraOptions: [String] = [],
                allowCommands: Bool = false, giveUpAfter: Double? = nil, cache: String? = nil) throws {
        guard (1...Self.maxWorkers).contains(workers) else {
            throw SlurmJobError(field: "--workers", "must be between 1 and \(Self.maxWorkers) (one array task each), got \(workers)")
        }
        guard (1...1024).contains(cpusPerTask) else {
            throw SlurmJobError(field: "--cpus-per-task", "must be between 1 and 1024, got \(cpusPerTask)")
        }
        try SlurmValues.checkEndpoint(endpoint)
        try SlurmValues.checkPath(tuna, field: "--tuna")
        guard (keyFile == nil) == (serverKeyFile == nil) else {
            throw SlurmJobError(field: "--key", "--key and --server-key go together: the workers' pair and the daemon's public key")
        }
        if let keyFile { try SlurmValues.checkPath(keyFile, field: "--key") }
        if let serverKeyFile { try SlurmValues.checkPath(serverKeyFile, field: "--server-key") }
        if let cache { try SlurmValues.checkPath(cache, field: "--cache") }
        if let giveUpAfter, !(giveUpAfter.isFinite && giveUpAfter > 0 && giveUpAfter <= 86_400 * 365) {
            throw SlurmJobError(field: "--give-up-after", "must be a positive number of seconds, got \(giveUpAfter)")
        }
        try SlurmValues.checkName(jobName, field: "--job-name")
        if let partition { try SlurmValues.checkName(partition, field: "--partition", allowing: ",") }
        if let account { try SlurmValues.checkName(account, field: "--account") }
        if let time { try SlurmValues.checkTime(time) }
        if let memory { try SlurmValues.checkMemory(memory) }
        if let output { try SlurmValues.checkOutput(output) }
        for option in extraOptions { try SlurmValues.checkExtraOption(option) }
        self.endpoint = endpoint
        self.workers = workers
        self.tuna = tuna
        self.keyFile = keyFile
        self.serverKeyFile = serverKeyFile
        self.cpusPerTask = cpusPerTask
        self.jobName = jobName
        self.partition = partition
        self.time = time
        self.memory = memory
        self.account = account
        self.output = output
        self.extraOptions = extraOptions
        self.allowCommands = allowCommands
        self.giveUpAfter = giveUpAfter
        self.cache = cache
    }

    /// The `#SBATCH` options, in the order they are written.
    public var directives: [String] {
        var lines = ["--job-name=\(jobName)", "--array=1-\(workers)", "--ntasks=1", "--cpus-per-task=\(cpusPerTask)"]
        if let partition { lines.append("--partition=\(partition)") }
        if let time { lines.append("--time=\(time)") }
        if let memory { lines.append("--mem=\(memory)") }
        if let account { lines.append("--account=\(account)") }
        if let output { lines.append("--output=\(output)") }
        return lines + extraOptions
    }

    /// The worker's command line as the shell will see it: every value from the user is
    /// single-quoted; the worker's name is built from Slurm's own variables at run time.
    public var workerCommand: String {
        var words = [Shell.quote(tuna), "worker", "--connect", Shell.quote(endpoint), "--jobs", String(cpusPerTask),
                     "--name", "\"${SLURMD_NODENAME:-$(hostname)}-${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}\""]
        if let keyFile, let serverKeyFile {
            words += ["--key", Shell.quote(keyFile), "--server-key", Shell.quote(serverKeyFile)]
        }
        if let giveUpAfter { words += ["--give-up-after", String(giveUpAfter)] }
        if let cache { words += ["--cache", Shell.quote(cache)] }
        if allowCommands { words.append("--allow-commands") }
        return words.joined(separator: " ")
    }

    /// The batch script: `#SBATCH` lines (read by sbatch, never by a shell), then one `exec` so
    /// that the array task *is* the worker and `scancel`'s signal reaches it directly.
    public var script: String {
        """
        #!/bin/sh
        # Tuna workers, written by `tuna launch slurm`: each array task runs one `tuna worker`
        # that connects to the daemon and takes trials until the job is cancelled (scancel),
        # reaches its time limit, or the daemon has been gone for the worker's give-up time.
        \(directives.map { "#SBATCH \($0)" }.joined(separator: "\n"))
        exec \(workerCommand)

        """
    }
}

/// A value `SlurmJob` refuses, with the command-line option it came from.
public struct SlurmJobError: Error, CustomStringConvertible, Equatable {
    public let field: String
    public let message: String

    public init(field: String, _ message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { "\(field): \(message)" }
}
