import Foundation
import Testing

/// The built `tuna` executable, run as a real process (the end-to-end tests drive it exactly as
/// a user would).
struct TunaProcess {
    static let executable: URL = {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("tuna")
        if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../.build/debug/tuna").standardized
    }()

    let process = Process()
    let stdout: URL
    let stderr: URL

    /// `launcher` runs in front of `tuna` (`ip netns exec NS`), which must exec it, not fork.
    init(_ arguments: [String], in folder: URL, launcher: [String] = []) throws {
        stdout = folder.appendingPathComponent("out-\(UUID().uuidString).txt")
        stderr = folder.appendingPathComponent("err-\(UUID().uuidString).txt")
        try #require(FileManager.default.createFile(atPath: stdout.path, contents: nil), "cannot create \(stdout.path)")
        try #require(FileManager.default.createFile(atPath: stderr.path, contents: nil), "cannot create \(stderr.path)")
        if let program = launcher.first {
            process.executableURL = URL(fileURLWithPath: program)
            process.arguments = Array(launcher.dropFirst()) + [Self.executable.path] + arguments
        } else {
            process.executableURL = Self.executable
            process.arguments = arguments
        }
        process.currentDirectoryURL = folder
        process.standardOutput = try FileHandle(forWritingTo: stdout)
        process.standardError = try FileHandle(forWritingTo: stderr)
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    var output: String { (try? String(contentsOf: stdout, encoding: .utf8)) ?? "" }
    var errors: String { (try? String(contentsOf: stderr, encoding: .utf8)) ?? "" }

    /// Waits for the process to end (killing it after `timeout` seconds) and returns its status.
    @discardableResult
    func wait(timeout: Double = 60) -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            Issue.record("tuna \(process.arguments ?? []) did not finish within \(timeout) s; stderr: \(errors)")
            kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Waits until standard error contains `text`; returns the line holding it.
    func waitForError(containing text: String, timeout: Double = 30) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let line = errors.split(separator: "\n").first(where: { $0.contains(text) }) { return String(line) }
            usleep(20_000)
        }
        return nil
    }

    /// Runs `tuna` to completion and returns (status, stdout, stderr).
    static func run(_ arguments: [String], in folder: URL, timeout: Double = 60, launcher: [String] = []) throws -> (Int32, String, String) {
        let process = try TunaProcess(arguments, in: folder, launcher: launcher)
        let status = process.wait(timeout: timeout)
        return (status, process.output, process.errors)
    }
}

/// Another program run to completion with a time limit (killed after it): its status and what it
/// wrote to standard output and error, together.
func runProgram(_ executable: String, _ arguments: [String], timeout: Double) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let output = FileManager.default.temporaryDirectory.appendingPathComponent("tuna-program-\(UUID().uuidString).txt")
    _ = FileManager.default.createFile(atPath: output.path, contents: nil)
    defer { try? FileManager.default.removeItem(at: output) }
    let handle = try FileHandle(forWritingTo: output)
    defer { try? handle.close() }
    process.standardOutput = handle
    process.standardError = handle
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning && Date() < deadline { usleep(10_000) }
    if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    process.waitUntilExit()
    return (process.terminationStatus, (try? String(contentsOf: output, encoding: .utf8)) ?? "")
}

/// A scratch folder with study files, removed when the test lets go of it.
final class Workspace {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("tuna-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    func write(_ name: String, _ text: String) throws -> String {
        let path = url.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    var db: String { url.appendingPathComponent("tuna.sqlite").path }
}
