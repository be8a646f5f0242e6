import Foundation
import Testing
import TunaSearch
import TunaSpec
@testable import TunaWorker

@Suite struct CommandRunnerTests {
    func objective(_ yaml: String) throws -> CommandObjective {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tuna-cmd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("s.yaml").path
        try ("name: c\nobjective: " + yaml + "\nsearch: {parameters: {x: {float: [0, 1]}}}\n").write(toFile: path, atomically: true, encoding: .utf8)
        guard case .command(let command) = try Study.load(path: path).objective else { throw CommandFailure(description: "not a command") }
        return command
    }

    @Test func readsTheMetricFromTheLastLine() throws {
        let runner = CommandRunner(objective: try objective(#"{command: [sh, -c, "echo start; echo loss={x} acc=0.5"], metric: loss}"#), workingDirectory: "/tmp")
        let outcome = try runner.run(params: ["x": .double(0.25)], metric: "loss")
        #expect(outcome.value == 0.25)
        #expect(outcome.metrics == ["loss": 0.25, "acc": 0.5])
        let json = CommandRunner(objective: try objective(#"{command: [sh, -c, "echo '{\"score\": 3.5}'"]}"#), workingDirectory: "/tmp")
        #expect(try json.run(params: [:], metric: "score").value == 3.5)
    }

    @Test func valuesAreArgumentsNotShellCode() throws {
        // The value travels as one argument: the shell sees "$1" as data, not as a command.
        let runner = CommandRunner(objective: try objective(#"{command: [sh, -c, "echo \"n=${#1}\"", sh, "{x}"]}"#), workingDirectory: "/tmp")
        let outcome = try runner.run(params: ["x": .string("; rm -rf /")], metric: "n")
        #expect(outcome.value == 10)
    }

    @Test func failuresSayWhy() throws {
        func failure(_ yaml: String, metric: String = "loss") -> String {
            do { _ = try CommandRunner(objective: try objective(yaml), workingDirectory: "/tmp").run(params: [:], metric: metric); return "ok" }
            catch { return "\(error)" }
        }
        #expect(failure(#"{command: [sh, -c, "echo oops >&2; exit 3"]}"#) == "sh exited with status 3: oops")
        #expect(failure(#"{command: [sh, -c, "sleep 5"], timeout: 0.3}"#).contains("did not finish within 0.3 s"))
        #expect(failure(#"{command: [sh, -c, "echo hello"]}"#).contains("holds no name=value pair"))
        #expect(failure(#"{command: [sh, -c, "echo a=1 b=2"]}"#).contains("has no 'loss' (found a, b)"))
        #expect(failure(#"{command: [no-such-program-xyz]}"#).contains("not found on PATH"))
    }
}
