import Foundation
import TunaBase
import TunaProtocol
import TunaSearch

/// A parsed, validated study file: what data, what network, what to tune and how to score it.
public struct Study: Sendable {
    public var name: String
    /// The file it was read from and its text (sent to workers and stored with the study).
    public var file: String
    public var text: String
    /// SHA-256 of the text, hex: a study is identified by its content, so a changed file is
    /// noticed when a run is resumed.
    public var hash: String
    public var data: DataSpec?
    /// The preprocessing steps, decoded by the data pipeline (TunaData) per trial.
    public var preprocess: SpecNode?
    /// The `model:` section with `$parameter` placeholders (nil for function and command
    /// objectives); TunaTemplate's `ModelTemplate` checks and resolves it, so that reading a
    /// study needs no network engine.
    public var model: SpecNode?
    public var objective: Objective
    public var search: SearchSettings

    public static let topLevelKeys = ["name", "data", "preprocess", "model", "search", "objective"]

    /// Reads and validates a study file.
    public static func load(path: String) throws -> Study {
        let text: String
        // The size is checked before reading, so a huge file (or /dev/zero) is never loaded.
        if let attributes = try? FileManager.default.attributesOfItem(atPath: path) {
            if let type = attributes[.type] as? FileAttributeType, type != .typeRegular {
                throw SpecError("the study file is not a regular file", at: nil, file: path)
            }
            if let size = attributes[.size] as? NSNumber { try StudyLimits.checkSize(byteCount: size.intValue, file: path) }
        }
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch let error as SpecError {
            throw error
        } catch {
            throw SpecError("cannot read the study file: \(error.localizedDescription)", at: nil, file: path)
        }
        return try parse(text: text, file: path)
    }

    /// Parses and validates study-file text; every error names file, line and column. The
    /// network and preprocessing sections are checked by TunaTemplate's `StudyCheck`.
    /// Workers pass `checkFiles: false`: their data comes from the scheduler by content hash.
    /// Study text that arrived with its data as bytes (a submission, a resumed study): the
    /// data path it names is replaced by `dataPath`, a copy the reader made, and nothing the
    /// text names is opened.
    public static func parse(text: String, file: String, dataPath: String?) throws -> Study {
        var study = try parse(text: text, file: file, checkFiles: false)
        if let dataPath { study.data?.path = dataPath }
        return study
    }

    public static func parse(text: String, file: String, checkFiles: Bool = true) throws -> Study {
        let root = try SpecNode.parse(yaml: text, file: file)
        try root.checkKeys(topLevelKeys, in: "the study")
        guard let nameNode = root["name"], let name = nameNode.text, !name.isEmpty else {
            throw root.error("the study needs a 'name'")
        }
        guard name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
            throw nameNode.error("a study name may hold letters, digits, '-', '_' and '.', got '\(name)'")
        }
        guard let searchNode = root["search"] else { throw root.error("the study needs a 'search' section") }
        let search = try SearchSettings(searchNode, studyName: name)
        let objective = try Objective(root["objective"], hasModel: root["model"] != nil, root: root)
        if search.multiObjective != nil {
            if case .function = objective, let node = root["objective"]?["function"] {
                throw node.error("a benchmark function has one value; a study with several metrics needs a 'command' or a network")
            }
            if let key = root["objective"]?["metric"] {
                throw key.error("'objective.metric' names the one key to read; a study with several metrics reads each by its name in search.metrics")
            }
        }
        var model: SpecNode?
        var data: DataSpec?
        if case .network = objective {
            guard let modelNode = root["model"] else { throw root.error("the study needs a 'model' (or an 'objective')") }
            guard let dataNode = root["data"] else { throw root.error("a network study needs a 'data' section") }
            data = try DataSpec(dataNode, studyFile: file, checkFiles: checkFiles)
            model = modelNode
        } else if let modelNode = root["model"] {
            throw modelNode.error("'model' has no effect with a \(objective.kind) objective; remove one of them")
        }
        let digest = sha256Hex(Data(text.utf8))
        return Study(
            name: name, file: file, text: text, hash: digest, data: data, preprocess: root["preprocess"],
            model: model, objective: objective, search: search)
    }
}

/// What a trial's score comes from.
public enum Objective: Sendable, Hashable {
    /// The study's network, trained with cross-validation on its data.
    case network
    /// A benchmark function (`branin`, `hartmann6`, ...), to test and measure samplers.
    case function(String)
    /// Any program, run with the trial's parameters; the metric is read from its output.
    case command(CommandObjective)

    var kind: String {
        switch self {
        case .network: "network"
        case .function: "function"
        case .command: "command"
        }
    }

    init(_ node: SpecNode?, hasModel: Bool, root: SpecNode) throws {
        guard let node else {
            self = .network
            return
        }
        try node.checkKeys(["function", "command", "timeout", "metric"], in: "objective")
        if let function = node["function"] {
            guard let name = function.text else { throw function.error("'function' takes a name") }
            let benchmark: any BenchmarkFunction
            do {
                benchmark = try BenchmarkFunctions.named(name)
            } catch {
                var message = "unknown benchmark function '\(name)'"
                if let near = nearestName(to: name, in: BenchmarkFunctions.names) { message += " (did you mean '\(near)'?)" }
                throw function.error(message + "; known: \(BenchmarkFunctions.names.joined(separator: ", ")) (rosenbrockN, sphereN for other sizes)")
            }
            let needed = benchmark.space.parameters.map(\.name)
            let declared = Set((root["search"]?["parameters"].flatMap { try? $0.entries("parameters") } ?? []).map(\.key))
            if let missing = needed.first(where: { !declared.contains($0) }) {
                throw function.error("function '\(name)' reads parameters \(needed.joined(separator: ", ")); '\(missing)' is not declared in search.parameters")
            }
            self = .function(name)
        } else if let command = node["command"] {
            self = .command(try CommandObjective(node, command: command))
        } else {
            throw node.error("an objective names a 'function' or a 'command'")
        }
    }
}

/// A program to run per trial: an argument vector (no shell) with `{param}` placeholders.
public struct CommandObjective: Sendable, Hashable, Codable {
    public var arguments: [String]
    /// Seconds before the program is killed and the trial fails.
    public var timeout: Double
    /// The key to read (`metric=value` as the last line, or a key of a JSON last line).
    public var metric: String?

    init(_ node: SpecNode, command: SpecNode) throws {
        switch command {
        case .sequence(let items, _):
            arguments = try items.map { item in
                guard let text = item.text else { throw item.error("command arguments are strings") }
                return text
            }
        case .scalar:
            // A string is split on white space; quoting is not interpreted (there is no shell).
            arguments = (command.text ?? "").split(whereSeparator: \.isWhitespace).map(String.init)
        default:
            throw command.error("'command' is a list of arguments or a string")
        }
        guard !arguments.isEmpty else { throw command.error("'command' is empty") }
        if let timeoutNode = node["timeout"] {
            guard let value = timeoutNode.text.flatMap(Double.init), value > 0, value <= StudyLimits.maxSeconds else {
                throw timeoutNode.error("'timeout' is a positive number of seconds, at most \(Int(StudyLimits.maxSeconds)) (a year)")
            }
            timeout = value
        } else {
            timeout = 3600
        }
        metric = node["metric"]?.text
    }

    /// The argument vector with `{name}` replaced by the trial's values.
    public func arguments(for params: Parameters) -> [String] {
        arguments.map { argument in
            var result = argument
            for (name, value) in params { result = result.replacingOccurrences(of: "{\(name)}", with: value.description) }
            return result
        }
    }
}
