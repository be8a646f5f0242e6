import Foundation
import Testing
import TunaLaunch

/// The job array `tuna launch slurm` submits: the script it renders, what the shell makes of
/// it, and every value it refuses.
@Suite struct SlurmJobTests {
    @Test func aPlainJobIsAnArrayOfOneWorkerPerTask() throws {
        let job = try SlurmJob(endpoint: "tcp://login1:5555", workers: 3, tuna: "/opt/tuna/bin/tuna")
        let lines = job.script.split(separator: "\n").map(String.init)
        #expect(lines.first == "#!/bin/sh")
        #expect(lines.filter { $0.hasPrefix("#SBATCH") } == [
            "#SBATCH --job-name=tuna-workers", "#SBATCH --array=1-3", "#SBATCH --ntasks=1", "#SBATCH --cpus-per-task=1",
        ])
        #expect(lines.last == """
            exec '/opt/tuna/bin/tuna' worker --connect 'tcp://login1:5555' --jobs 1 --name "${SLURMD_NODENAME:-$(hostname)}-${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}"
            """)
        // Directives must come before the first command, or sbatch ignores them.
        let firstCommand = try #require(lines.firstIndex { !$0.hasPrefix("#") })
        #expect(lines.lastIndex { $0.hasPrefix("#SBATCH") }.map { $0 < firstCommand } == true)
    }

    @Test func everyOptionBecomesItsDirectiveOrWorkerFlag() throws {
        let job = try SlurmJob(
            endpoint: "tcp://[fd00::1]:6000", workers: 1000, tuna: "/shared/tuna", keyFile: "/home/a/keys/w.key",
            serverKeyFile: "/home/a/keys/daemon.pub", cpusPerTask: 4, jobName: "hp_sweep.1", partition: "cpu,short", time: "2-12:00:00",
            memory: "8G", account: "proj-42", output: "/scratch/logs/tuna-%A_%a.out",
            extraOptions: ["--qos=long", "--exclusive", "--gres=gpu:1", "--nodelist=n[1-4]"], allowCommands: true, giveUpAfter: 300,
            cache: "/tmp/tuna-cache")
        #expect(job.directives == [
            "--job-name=hp_sweep.1", "--array=1-1000", "--ntasks=1", "--cpus-per-task=4", "--partition=cpu,short",
            "--time=2-12:00:00", "--mem=8G", "--account=proj-42", "--output=/scratch/logs/tuna-%A_%a.out",
            "--qos=long", "--exclusive", "--gres=gpu:1", "--nodelist=n[1-4]",
        ])
        #expect(job.workerCommand.hasSuffix("""
            --jobs 4 --name "${SLURMD_NODENAME:-$(hostname)}-${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}" \
            --key '/home/a/keys/w.key' --server-key '/home/a/keys/daemon.pub' --give-up-after 300.0 --cache '/tmp/tuna-cache' --allow-commands
            """), "\(job.workerCommand)")
        #expect(job.script.contains("\n#SBATCH --gres=gpu:1\n"))
    }

    @Test(arguments: ["30", "90:00", "1:00:00", "2-12", "2-12:30", "2-12:30:00", "UNLIMITED", "infinite"])
    func slurmTimeFormatsAreAccepted(time: String) throws {
        #expect(try SlurmJob(endpoint: "tcp://h:1", workers: 1, tuna: "/t", time: time).time == time)
    }

    /// The script run by a real shell, as Slurm would: paths full of quotes, spaces, `$(...)`
    /// and backquotes reach the worker as the exact words they are, and nothing runs.
    @Test func theShellPassesHostilePathsThroughUnchanged() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tuna-slurmjob-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let odd = folder.appendingPathComponent("it's a \"dir\" $(touch PWNED) `touch PWNED2` ; & | *")
        try FileManager.default.createDirectory(at: odd, withIntermediateDirectories: true)
        let fake = odd.appendingPathComponent("tuna")
        // Prints each argument on its own line, so that word splitting would show.
        try "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done\n".write(to: fake, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: fake.path)
        let key = odd.appendingPathComponent("w'1.key").path, server = odd.appendingPathComponent("$HOME.pub").path
        let job = try SlurmJob(endpoint: "tcp://10.0.0.5:5555", workers: 2, tuna: fake.path, keyFile: key, serverKeyFile: server, cache: odd.path)
        let scriptFile = folder.appendingPathComponent("job.sh")
        try job.script.write(to: scriptFile, atomically: true, encoding: .utf8)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = [scriptFile.path]
        process.currentDirectoryURL = folder
        process.environment = ["PATH": "/usr/bin:/bin", "SLURMD_NODENAME": "node7", "SLURM_ARRAY_JOB_ID": "81", "SLURM_ARRAY_TASK_ID": "2"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(output.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init) == [
            "worker", "--connect", "tcp://10.0.0.5:5555", "--jobs", "1", "--name", "node7-81_2",
            "--key", key, "--server-key", server, "--cache", odd.path,
        ])
        let made = try FileManager.default.contentsOfDirectory(atPath: folder.path) + FileManager.default.contentsOfDirectory(atPath: odd.path)
        #expect(!made.contains { $0.hasPrefix("PWNED") }, "\(made)")
    }

    /// Each bad value is refused with the option it came from.
    @Test func badValuesAreRefusedNamingTheirOption() {
        func field(_ make: () throws -> SlurmJob) -> String? {
            do {
                _ = try make()
                return nil
            } catch let error as SlurmJobError {
                #expect(!error.message.isEmpty)
                return error.field
            } catch {
                return "unexpected \(error)"
            }
        }
        func job(endpoint: String = "tcp://h:5555", workers: Int = 2, tuna: String = "/bin/tuna", key: String? = nil, serverKey: String? = nil,
                 cpus: Int = 1, name: String = "tuna-workers", partition: String? = nil, time: String? = nil, memory: String? = nil,
                 account: String? = nil, output: String? = nil, extra: [String] = [], giveUp: Double? = nil, cache: String? = nil) -> () throws -> SlurmJob {
            { try SlurmJob(endpoint: endpoint, workers: workers, tuna: tuna, keyFile: key, serverKeyFile: serverKey, cpusPerTask: cpus,
                           jobName: name, partition: partition, time: time, memory: memory, account: account, output: output,
                           extraOptions: extra, giveUpAfter: giveUp, cache: cache) }
        }
        let cases: [(String, () throws -> SlurmJob)] = [
            ("--workers", job(workers: 0)), ("--workers", job(workers: -3)), ("--workers", job(workers: 1001)), ("--workers", job(workers: .max)),
            ("--cpus-per-task", job(cpus: 0)), ("--cpus-per-task", job(cpus: 5000)),
            ("--to", job(endpoint: "127.0.0.1:5555")), ("--to", job(endpoint: "tcp://h")), ("--to", job(endpoint: "tcp://h:0")),
            ("--to", job(endpoint: "tcp://h:65536")), ("--to", job(endpoint: "tcp://h:5x")), ("--to", job(endpoint: "tcp://*:5555")),
            ("--to", job(endpoint: "tcp://:5555")), ("--to", job(endpoint: "tcp://a b:5555")), ("--to", job(endpoint: "ipc:///tmp/tuna")),
            ("--to", job(endpoint: "tcp://h;reboot:5555")), ("--to", job(endpoint: "tcp://h:5555\n#SBATCH --wrap=x")),
            ("--to", job(endpoint: "tcp://[fe80::1;x]:5555")), ("--to", job(endpoint: "tcp://-h:5555")),
            ("--tuna", job(tuna: "tuna")), ("--tuna", job(tuna: "/bin/tu\nna")), ("--tuna", job(tuna: "")),
            ("--key", job(key: "/k.key")), ("--key", job(serverKey: "/d.pub")), ("--key", job(key: "k.key", serverKey: "/d.pub")),
            ("--server-key", job(key: "/k.key", serverKey: "/d\r.pub")), ("--cache", job(cache: "cache")),
            ("--give-up-after", job(giveUp: 0)), ("--give-up-after", job(giveUp: -1)), ("--give-up-after", job(giveUp: .nan)),
            ("--give-up-after", job(giveUp: .infinity)),
            ("--job-name", job(name: "")), ("--job-name", job(name: "my job")), ("--job-name", job(name: "-x")), ("--job-name", job(name: "a#b")),
            ("--partition", job(partition: "cpu\n#SBATCH --wrap=reboot")), ("--partition", job(partition: "$(id)")),
            ("--partition", job(partition: "cpu;gpu")), ("--partition", job(partition: "")),
            ("--account", job(account: "a'b")), ("--account", job(account: "a\"b")),
            ("--time", job(time: "1:2:3:4")), ("--time", job(time: "abc")), ("--time", job(time: "1-")), ("--time", job(time: "-5")),
            ("--time", job(time: "")), ("--time", job(time: "10 ")),
            ("--mem", job(memory: "8GB")), ("--mem", job(memory: "-1")), ("--mem", job(memory: "G")), ("--mem", job(memory: "8`x`")),
            ("--output", job(output: "a b.out")), ("--output", job(output: "x#y")), ("--output", job(output: "$HOME/x")), ("--output", job(output: "")),
            ("--sbatch-option", job(extra: ["--array=1-5"])), ("--sbatch-option", job(extra: ["--arr=2"])),
            ("--sbatch-option", job(extra: ["--partition=x"])), ("--sbatch-option", job(extra: ["-N 1"])),
            ("--sbatch-option", job(extra: ["--qos=a;b"])), ("--sbatch-option", job(extra: ["--qos=$(x)"])),
            ("--sbatch-option", job(extra: ["--comment=a b"])), ("--sbatch-option", job(extra: ["--qos=\n#SBATCH --wrap=x"])),
            ("--sbatch-option", job(extra: ["--qos="])), ("--sbatch-option", job(extra: ["--=x"])), ("--sbatch-option", job(extra: ["qos=long"])),
            ("--sbatch-option", job(extra: ["--exclusive", "--mail-user=a b"])),
        ]
        for (expected, make) in cases {
            #expect(field(make) == expected)
        }
        // The same options, sound, are taken.
        #expect(field(job(endpoint: "tcp://node-1.cluster:5555", partition: "gpu", time: "30", memory: "500", account: "a_1",
                          output: "logs/%A_%a.out", extra: ["--exclusive", "--constraint=skylake"])) == nil)
    }

    @Test func shellQuotingHandlesQuotesAndEmptyWords() {
        #expect(Shell.quote("") == "''")
        #expect(Shell.quote("it's") == #"'it'\''s'"#)
        #expect(Shell.quote("$(x) `y` \"z\"") == #"'$(x) `y` "z"'"#)
    }
}
