import Foundation

/// Submits a batch script with Slurm's `sbatch --parsable`, the script on its standard input.
struct Sbatch {
    /// `sbatch` (looked up on PATH) or a path to it.
    let program: String
    /// sbatch waits for the controller; a controller that does not answer is an error, not a hang.
    var timeout: Double = 120

    /// The job id sbatch printed.
    func submit(_ script: String) throws -> String {
        let executable = try resolve()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tuna-sbatch-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = folder.appendingPathComponent("script.sh"), output = folder.appendingPathComponent("out"), errors = folder.appendingPathComponent("err")
        try Data(script.utf8).write(to: input)
        for file in [output, errors] where !FileManager.default.createFile(atPath: file.path, contents: nil) {
            throw SbatchError("cannot write \(file.path)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["--parsable"]
        process.standardInput = try FileHandle(forReadingFrom: input)
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = try FileHandle(forWritingTo: errors)
        do {
            try process.run()
        } catch {
            throw SbatchError("cannot run \(executable): \(error.localizedDescription)")
        }
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            throw SbatchError("\(executable) did not finish within \(Int(timeout)) s (is slurmctld reachable?)")
        }
        process.waitUntilExit()
        let said = (try? String(contentsOf: errors, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        guard process.terminationStatus == 0 else {
            throw SbatchError("sbatch refused the job (exit status \(process.terminationStatus)): \(said.isEmpty ? "no message" : said)")
        }
        let printed = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        guard let jobID = Self.jobID(parsable: printed) else {
            throw SbatchError("sbatch printed no job id: '\(printed.trimmingCharacters(in: .whitespacesAndNewlines))' \(said)")
        }
        return jobID
    }

    /// `--parsable` prints `JOBID` or `JOBID;CLUSTER`.
    static func jobID(parsable text: String) -> String? {
        guard let line = text.split(separator: "\n").last(where: { !$0.trimmingCharacters(in: .whitespaces).isEmpty }) else { return nil }
        let id = (line.split(separator: ";", omittingEmptySubsequences: false).first ?? "").trimmingCharacters(in: .whitespaces)
        guard !id.isEmpty, id.count <= 20, id.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return id
    }

    /// The program's path: as given when it has a slash, else the first executable on PATH.
    func resolve() throws -> String {
        if program.contains("/") {
            guard FileManager.default.isExecutableFile(atPath: program) else { throw SbatchError("--sbatch: \(program) is not an executable file") }
            return program
        }
        for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(folder)/\(program)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw SbatchError("--sbatch: no \(program) on PATH (install Slurm's client commands, or give --sbatch PATH; --dry-run prints the script)")
    }
}

struct SbatchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
