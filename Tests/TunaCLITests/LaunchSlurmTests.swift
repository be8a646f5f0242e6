import Foundation
import Testing

/// `tuna launch slurm` as a user runs it, without a cluster: the script of `--dry-run`, what
/// reaches sbatch (a stand-in that records its input), and refusals of bad input.
@Suite struct LaunchSlurmTests {
    /// A workspace with a worker key pair and the daemon's public key.
    static func workspaceWithKeys() throws -> Workspace {
        let workspace = try Workspace()
        for name in ["keys/daemon", "keys/workers/w"] {
            let (status, _, errors) = try TunaProcess.run(["keygen", name], in: workspace.url)
            try #require(status == 0, "\(errors)")
        }
        return workspace
    }

    static let keys = ["--key", "keys/workers/w.key", "--server-key", "keys/daemon.pub"]

    @Test func dryRunPrintsTheScriptWithAbsolutePaths() throws {
        let workspace = try Self.workspaceWithKeys()
        let (status, output, errors) = try TunaProcess.run(
            ["launch", "slurm", "--to", "tcp://login1:5555", "--workers", "4", "--partition", "cpu", "--time", "1:00:00",
             "--cpus-per-task", "2", "--mem", "2G", "--account", "ml", "--sbatch-option", "--qos=long", "--dry-run"] + Self.keys,
            in: workspace.url)
        #expect(status == 0, "\(errors)")
        let lines = output.split(separator: "\n").map(String.init)
        #expect(lines.first == "#!/bin/sh")
        #expect(lines.filter { $0.hasPrefix("#SBATCH") } == [
            "#SBATCH --job-name=tuna-workers", "#SBATCH --array=1-4", "#SBATCH --ntasks=1", "#SBATCH --cpus-per-task=2",
            "#SBATCH --partition=cpu", "#SBATCH --time=1:00:00", "#SBATCH --mem=2G", "#SBATCH --account=ml", "#SBATCH --qos=long",
        ])
        let root = workspace.url.standardizedFileURL.path
        let exec = try #require(lines.last)
        #expect(exec.hasPrefix("exec '\(TunaProcess.executable.resolvingSymlinksInPath().path)' worker --connect 'tcp://login1:5555' --jobs 2 "), "\(exec)")
        #expect(exec.contains("--key '\(root)/keys/workers/w.key' --server-key '\(root)/keys/daemon.pub'"), "\(exec)")
    }

    /// The script goes to sbatch's standard input with `--parsable`; the job id it prints is the
    /// command's output, and a refusal is passed on with sbatch's message and a non-zero exit.
    @Test func theScriptGoesToSbatchAndItsJobIDIsPrinted() throws {
        let workspace = try Self.workspaceWithKeys()
        let fake = try workspace.write("fake-sbatch", """
            #!/bin/sh
            echo "$@" > "$(dirname "$0")/sbatch-args"
            cat > "$(dirname "$0")/sbatch-input"
            echo "4242;tunacluster"

            """)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: fake)
        let arguments = ["launch", "slurm", "--to", "tcp://10.1.2.3:5555", "--workers", "3"] + Self.keys
        let (status, output, errors) = try TunaProcess.run(arguments + ["--sbatch", fake], in: workspace.url)
        #expect(status == 0 && output == "4242\n", "\(output) \(errors)")
        #expect(errors.contains("submitted job array 4242: 3 worker task(s)") && errors.contains("scancel 4242"), "\(errors)")
        let (_, script, _) = try TunaProcess.run(arguments + ["--dry-run"], in: workspace.url)
        #expect(try String(contentsOfFile: workspace.url.appendingPathComponent("sbatch-input").path, encoding: .utf8) == script)
        #expect(try String(contentsOfFile: workspace.url.appendingPathComponent("sbatch-args").path, encoding: .utf8) == "--parsable\n")

        let refusing = try workspace.write("refusing-sbatch", "#!/bin/sh\necho 'sbatch: error: invalid partition specified: nope' >&2\nexit 1\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: refusing)
        let (refused, nothing, why) = try TunaProcess.run(arguments + ["--sbatch", refusing], in: workspace.url)
        #expect(refused == 1 && nothing.isEmpty && why.contains("invalid partition specified: nope"), "\(why)")

        let silent = try workspace.write("silent-sbatch", "#!/bin/sh\ncat >/dev/null\necho 'Submitted batch job'\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: silent)
        let (noID, _, noIDErrors) = try TunaProcess.run(arguments + ["--sbatch", silent], in: workspace.url)
        #expect(noID == 1 && noIDErrors.contains("no job id"), "\(noIDErrors)")
    }

    /// Each bad input ends with a non-zero status and a message naming the option.
    @Test func badInputIsRefusedNamingTheOption() throws {
        let workspace = try Self.workspaceWithKeys()
        _ = try workspace.write("keys/open.key", try String(contentsOfFile: workspace.url.appendingPathComponent("keys/workers/w.key").path, encoding: .utf8))
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: workspace.url.appendingPathComponent("keys/open.key").path)
        let base = ["launch", "slurm", "--dry-run"]
        let cases: [([String], String)] = [
            (["--to", "tcp://h:5555", "--workers", "0"] + Self.keys, "--workers"),
            (["--to", "tcp://h:5555", "--workers", "100000"] + Self.keys, "--workers"),
            (["--to", "tcp://h:5555", "--workers", "99999999999999999999999"] + Self.keys, "--workers"),
            (["--to", "h:5555", "--workers", "2"] + Self.keys, "--to"),
            (["--to", "tcp://h:70000", "--workers", "2"] + Self.keys, "--to"),
            (["--to", "tcp://h:5555", "--workers", "2", "--key", "keys/none.key", "--server-key", "keys/daemon.pub"], "--key"),
            (["--to", "tcp://h:5555", "--workers", "2", "--key", "keys/open.key", "--server-key", "keys/daemon.pub"], "--key"),
            (["--to", "tcp://h:5555", "--workers", "2", "--key", "keys/workers/w.key", "--server-key", "keys/none.pub"], "--server-key"),
            (["--to", "tcp://h:5555", "--workers", "2", "--key", "keys/workers/w.key"], "--server-key"),
            (["--to", "tcp://h:5555", "--workers", "2", "--partition", "cpu\n#SBATCH --wrap=reboot"] + Self.keys, "--partition"),
            (["--to", "tcp://h:5555", "--workers", "2", "--account", "$(reboot)"] + Self.keys, "--account"),
            (["--to", "tcp://h:5555", "--workers", "2", "--time", "soon"] + Self.keys, "--time"),
            (["--to", "tcp://h:5555", "--workers", "2", "--sbatch-option", "--array=1-100"] + Self.keys, "--sbatch-option"),
            (["--to", "tcp://h:5555", "--workers", "2", "--sbatch-option", "--comment=a;b"] + Self.keys, "--sbatch-option"),
            (["--to", "tcp://h:5555", "--workers", "2", "--tuna", "/nonexistent/tuna"] + Self.keys, "--tuna"),
        ]
        for (arguments, option) in cases {
            let (status, output, errors) = try TunaProcess.run(base + arguments, in: workspace.url)
            #expect(status != 0 && output.isEmpty && errors.contains(option), "\(arguments): \(status) \(errors)")
        }
        let (noSbatch, _, noSbatchErrors) = try TunaProcess.run(
            ["launch", "slurm", "--to", "tcp://h:5555", "--workers", "2", "--sbatch", "/nonexistent/sbatch"], in: workspace.url)
        #expect(noSbatch == 1 && noSbatchErrors.contains("--sbatch: /nonexistent/sbatch is not an executable file"), "\(noSbatchErrors)")
    }
}
