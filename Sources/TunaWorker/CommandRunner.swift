import Foundation
import TunaSearch
import TunaProtocol
import TunaSpec

/// What a command objective produced.
public struct CommandOutcome: Sendable, Equatable {
    public var value: Double
    /// Every `name=value` pair (or JSON number) of the last line, for the trial's record.
    public var metrics: [String: Double]
    public var seconds: Double
}

/// Why a command trial failed: the message is stored with the trial.
public struct CommandFailure: Error, CustomStringConvertible, Equatable {
    public var description: String
}

/// Runs a study's command objective for one trial: an argument vector with the trial's values
/// (no shell, so values cannot inject commands), a time limit after which the program is
/// terminated, and the score read from the last line of its standard output — either
/// `metric=value` pairs (`loss=0.31 accuracy=0.9`) or a JSON object.
public struct CommandRunner: Sendable {
    public var objective: CommandObjective
    /// The folder the program runs in (the study file's folder, so relative paths work).
    public var workingDirectory: String
    /// What to run the program through (`tuna command-guard --`), so that it and whatever it
    /// starts are killed with the trial; empty runs the program directly.
    public var launcher: [String]

    /// How much of each output stream is kept: the last line holds the score and the end of
    /// standard error says why a run failed; a program printing gigabytes must not cost them.
    static let keptBytes = 64 << 10

    public init(objective: CommandObjective, workingDirectory: String, launcher: [String] = []) {
        self.objective = objective
        self.workingDirectory = workingDirectory
        self.launcher = launcher
    }

    public func run(params: Parameters, metric: String) throws -> CommandOutcome {
        let arguments = objective.arguments(for: params)
        guard let program = arguments.first else { throw CommandFailure(description: "the command is empty") }
        let process = Process()
        let resolved = try Self.resolve(program)
        if let guardProgram = launcher.first {
            process.executableURL = URL(fileURLWithPath: guardProgram)
            process.arguments = Array(launcher.dropFirst()) + [resolved] + arguments.dropFirst()
            var environment = ProcessInfo.processInfo.environment
            environment[CommandGuard.parentVariable] = String(getpid())
            process.environment = environment
        } else {
            process.executableURL = URL(fileURLWithPath: resolved)
            process.arguments = Array(arguments.dropFirst())
        }
        process.currentDirectoryURL = URL(fileURLWithPath: workingDirectory)
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        let start = Date()
        do { try process.run() } catch {
            throw CommandFailure(description: "cannot start \(program): \(error.localizedDescription)")
        }
        // Read both pipes while the program runs, so a chatty program cannot fill a pipe and stall.
        let collected = OutputCollector()
        let group = DispatchGroup()
        for (pipe, isError) in [(output, false), (errors, true)] {
            group.enter()
            DispatchQueue.global().async {
                let handle = pipe.fileHandleForReading
                while let chunk = try? handle.read(upToCount: 16 << 10), !chunk.isEmpty {
                    collected.append(chunk, isError: isError, keeping: Self.keptBytes)
                }
                group.leave()
            }
        }
        let deadline = DispatchTime.now() + objective.timeout
        var timedOut = false
        if group.wait(timeout: deadline) == .timedOut {
            timedOut = true
            // SIGTERM first; then SIGKILL to the process and its group (Foundation starts the
            // child as a group leader), so grandchildren holding the pipes end too.
            process.terminate()
            if group.wait(timeout: .now() + 2) == .timedOut {
                kill(-process.processIdentifier, SIGKILL)
                kill(process.processIdentifier, SIGKILL)
                _ = group.wait(timeout: .now() + 2)
            }
        }
        process.waitUntilExit()
        let seconds = Date().timeIntervalSince(start)
        let (stdout, stderr) = collected.result()
        if timedOut {
            throw CommandFailure(description: "\(program) did not finish within \(objective.timeout) s and was stopped")
        }
        guard process.terminationStatus == 0 else {
            let tail = String(decoding: stderr.suffix(400), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw CommandFailure(description: "\(program) exited with status \(process.terminationStatus)\(tail.isEmpty ? "" : ": \(tail)")")
        }
        let metrics = try Self.parseLastLine(String(decoding: stdout, as: UTF8.self))
        let key = objective.metric ?? metric
        guard let value = metrics[key] ?? (metrics.count == 1 ? metrics.values.first : nil) else {
            throw CommandFailure(description: "the last output line of \(program) has no '\(key)' (found \(metrics.keys.sorted().joined(separator: ", ")))")
        }
        return CommandOutcome(value: value, metrics: metrics, seconds: seconds)
    }

    /// `name=value` pairs or a JSON object on the last non-empty line.
    static func parseLastLine(_ output: String) throws -> [String: Double] {
        guard let line = output.split(whereSeparator: \.isNewline).last(where: { !$0.trimmingCharacters(in: .whitespaces).isEmpty }) else {
            throw CommandFailure(description: "the command printed nothing; its last line must hold the metric (name=value or JSON)")
        }
        let text = line.trimmingCharacters(in: .whitespaces)
        if text.hasPrefix("{") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
                throw CommandFailure(description: "the last line looks like JSON but does not parse: \(text.prefix(200))")
            }
            return object.compactMapValues { ($0 as? NSNumber)?.doubleValue }
        }
        var metrics: [String: Double] = [:]
        for pair in text.split(whereSeparator: { $0 == " " || $0 == "," }) {
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.count == 2, let value = Double(parts[1]) { metrics[String(parts[0])] = value }
        }
        guard !metrics.isEmpty else {
            throw CommandFailure(description: "the last line '\(text.prefix(200))' holds no name=value pair or JSON object")
        }
        return metrics
    }

    /// A program name looked up on PATH, as a shell would (there is no shell here).
    static func resolve(_ program: String) throws -> String {
        if program.contains("/") { return program }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for folder in path.split(separator: ":") {
            let candidate = "\(folder)/\(program)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw CommandFailure(description: "program '\(program)' not found on PATH")
    }
}

/// Output gathered from two reader threads.
private final class OutputCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var out = Data(), err = Data()

    /// Adds a chunk, keeping only the last `keeping` bytes of the stream.
    func append(_ data: Data, isError: Bool, keeping: Int) {
        lock.withLock {
            if isError {
                err.append(data)
                if err.count > keeping { err = Data(err.suffix(keeping)) }
            } else {
                out.append(data)
                if out.count > keeping { out = Data(out.suffix(keeping)) }
            }
        }
    }

    func result() -> (Data, Data) { lock.withLock { (out, err) } }
}
