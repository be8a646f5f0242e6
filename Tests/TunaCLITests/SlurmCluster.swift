import Foundation
import Testing

/// A one-node Slurm cluster of its own for one test: a munge key, a generated slurm.conf and
/// munged, slurmctld and slurmd as foreground processes, all in a fresh folder with fresh ports
/// and a cluster name of its own, so that nothing is shared with another run or the machine's
/// own Slurm. No cgroups (proctrack/linuxproc, task/none); SlurmUser=root, so it needs root.
final class SlurmCluster {
    /// Why the cluster cannot run here; the test is skipped with it.
    struct Unavailable: Error, CustomStringConvertible { let description: String }
    struct Failure: Error, CustomStringConvertible { let description: String }

    let folder: URL
    let conf: String
    let node: String
    private var daemons: [(name: String, process: SpawnedProcess)] = []

    /// Starts the cluster and waits (bounded) for its node to be idle; throws `Unavailable`
    /// when this machine cannot run it, with the reason and the refusing daemon's log.
    static func start() throws -> SlurmCluster {
        guard geteuid() == 0 else { throw Unavailable(description: "not root (slurmd runs tasks as SlurmUser=root)") }
        let missing = ["munged", "slurmctld", "slurmd", "sbatch", "sinfo", "squeue", "scancel"].filter { program($0) == nil }
        guard missing.isEmpty else {
            throw Unavailable(description: "\(missing.joined(separator: ", ")) not found (apt-get install slurm-wlm munge)")
        }
        let cluster = try SlurmCluster()
        do {
            try cluster.startDaemons()
        } catch {
            cluster.stop()
            throw error
        }
        return cluster
    }

    /// The program's path in the usual places (sbin is often not on a test's PATH).
    static func program(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"]?.split(separator: ":").map(String.init) ?? []
        return (["/usr/sbin", "/usr/bin", "/sbin", "/bin"] + path).map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    private init() throws {
        let id = UUID().uuidString.prefix(8).lowercased()
        // Short: munge's socket path must fit a sockaddr_un (108 bytes).
        folder = URL(fileURLWithPath: "/tmp/tuna-slurm-\(id)")
        for sub in ["munge", "state", "spool", "log"] {
            try FileManager.default.createDirectory(at: folder.appendingPathComponent(sub), withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder.path)
        var name = [CChar](repeating: 0, count: 256)
        guard gethostname(&name, name.count) == 0 else { throw Failure(description: "gethostname: errno \(errno)") }
        // slurmctld accepts only the host that SlurmctldHost names: this one, by its short name.
        node = String(String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self).prefix { $0 != "." })
        let ports = try (0..<2).map { _ in try Self.freePort() }
        var key = [UInt8](repeating: 0, count: 1024)
        for index in key.indices { key[index] = UInt8.random(in: 0...255) }
        let keyFile = folder.appendingPathComponent("munge/munge.key").path
        guard FileManager.default.createFile(atPath: keyFile, contents: Data(key), attributes: [.posixPermissions: 0o400]) else {
            throw Failure(description: "cannot write \(keyFile)")
        }
        conf = folder.appendingPathComponent("slurm.conf").path
        let path = folder.path
        try """
            ClusterName=tuna\(id)
            SlurmctldHost=\(node)(127.0.0.1)
            SlurmctldPort=\(ports[0])
            SlurmdPort=\(ports[1])
            SlurmUser=root
            SlurmdUser=root
            AuthType=auth/munge
            CredType=cred/munge
            AuthInfo=socket=\(path)/munge/munge.socket
            StateSaveLocation=\(path)/state
            SlurmdSpoolDir=\(path)/spool
            SlurmctldPidFile=\(path)/slurmctld.pid
            SlurmdPidFile=\(path)/slurmd.pid
            SlurmctldLogFile=\(path)/log/slurmctld.log
            SlurmdLogFile=\(path)/log/slurmd.log
            ProctrackType=proctrack/linuxproc
            TaskPlugin=task/none
            SelectType=select/cons_tres
            SelectTypeParameters=CR_CPU
            SchedulerType=sched/builtin
            JobCompType=jobcomp/none
            AccountingStorageType=accounting_storage/none
            JobAcctGatherType=jobacct_gather/none
            MpiDefault=none
            MailProg=/bin/true
            ReturnToService=2
            SlurmdTimeout=30
            InactiveLimit=0
            MinJobAge=10
            KillWait=2
            NodeName=\(node) NodeAddr=127.0.0.1 CPUs=2 State=UNKNOWN
            PartitionName=tuna Nodes=\(node) Default=YES MaxTime=INFINITE State=UP

            """.write(toFile: conf, atomically: true, encoding: .utf8)
    }

    /// A port nothing listens on now (the kernel's pick, released at once).
    static func freePort() throws -> Int {
        let endpoint = try DaemonTests.freeEndpoint()
        return try #require(endpoint.split(separator: ":").last.flatMap { Int($0) }, "no port in \(endpoint)")
    }

    private func startDaemons() throws {
        let path = folder.path
        try launch("munged", ["-F", "-f", "--key-file=\(path)/munge/munge.key", "--socket=\(path)/munge/munge.socket",
                              "--pid-file=\(path)/munge/munged.pid", "--seed-file=\(path)/munge/munged.seed", "--log-file=\(path)/log/munged.log"])
        try waitFor("munged's socket", timeout: 10, daemon: "munged") { FileManager.default.fileExists(atPath: "\(path)/munge/munge.socket") }
        try launch("slurmctld", ["-D", "-f", conf])
        try waitFor("slurmctld to answer", timeout: 15, daemon: "slurmctld") { (try? self.run("sinfo", ["-h"]).status) == 0 }
        try launch("slurmd", ["-D", "-f", conf, "-N", node])
        try waitFor("node \(node) to be idle", timeout: 30, daemon: "slurmd") {
            (try? self.run("sinfo", ["-h", "-N", "-o", "%T"]).output.trimmingCharacters(in: .whitespacesAndNewlines)) == "idle"
        }
    }

    private func launch(_ name: String, _ arguments: [String]) throws {
        guard let executable = Self.program(name) else { throw Unavailable(description: "\(name) not found") }
        let log = folder.appendingPathComponent("log/\(name).out").path
        daemons.append((name, try SpawnedProcess(executable, arguments, environment: environment, output: log)))
    }

    /// Polls `condition` until it holds; a daemon that died or a deadline that passed makes the
    /// cluster unavailable, with the tail of that daemon's log.
    private func waitFor(_ what: String, timeout: Double, daemon: String, _ condition: () -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return }
            if let dead = daemons.first(where: { !$0.process.isRunning }) {
                throw Unavailable(description: "\(dead.name) ended (\(dead.process.ending ?? "?")) while waiting for \(what): \(logTail(dead.name))")
            }
            usleep(100_000)
        }
        throw Unavailable(description: "no \(what) within \(Int(timeout)) s: \(logTail(daemon))")
    }

    /// The last lines a daemon wrote, to its output and to its log file.
    func logTail(_ name: String, lines: Int = 12) -> String {
        let files = ["log/\(name).out", "log/\(name).log"].map { folder.appendingPathComponent($0).path }
        let text = files.compactMap { try? String(contentsOfFile: $0, encoding: .utf8) }.joined(separator: "\n")
        return text.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }

    /// What Slurm's commands need to find this cluster.
    var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["SLURM_CONF"] = conf
        return environment
    }

    /// `env SLURM_CONF=...`, to put in front of a command that talks to this cluster.
    var launcher: [String] { ["/usr/bin/env", "SLURM_CONF=\(conf)"] }

    /// Runs one of Slurm's client commands against this cluster, with a time limit.
    func run(_ name: String, _ arguments: [String], timeout: Double = 15) throws -> (status: Int32, output: String) {
        guard let executable = Self.program(name) else { throw Failure(description: "\(name) not found") }
        return try runProgram("/usr/bin/env", ["SLURM_CONF=\(conf)", executable] + arguments, timeout: timeout)
    }

    /// Cancels a job and waits (bounded) until the controller has no task of it left running.
    func cancel(_ jobID: String, timeout: Double = 20) -> Bool {
        _ = try? run("scancel", [jobID])
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let (status, output) = try? run("squeue", ["-h", "-j", jobID, "-o", "%i %T"]),
               status != 0 || output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return true }
            usleep(200_000)
        }
        return false
    }

    /// Stops the daemons it started (slurmd first, munged last) and removes the folder.
    func stop() {
        for daemon in daemons.reversed() { daemon.process.stop() }
        daemons = []
        try? FileManager.default.removeItem(at: folder)
    }
}
