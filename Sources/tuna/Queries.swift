import ArgumentParser
import Foundation
import TunaExport
import TunaStore

/// Output formats of the query commands.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, csv, json
}

/// Opens the database read-only (it may be in use by a running scheduler).
func openReader(_ path: String) throws -> SQLiteTrialStore {
    guard FileManager.default.fileExists(atPath: path) else {
        FileHandle.standardError.write(Data("tuna: no database at \(path) (run a study first, or pass --db)\n".utf8))
        throw ExitCode(1)
    }
    do {
        return try SQLiteTrialStore(readOnlyPath: path)
    } catch {
        FileHandle.standardError.write(Data("tuna: \(error)\n".utf8))
        throw ExitCode(1)
    }
}

func requireStudy(_ store: SQLiteTrialStore, _ name: String) throws -> StudyRecord {
    if let study = try store.study(named: name) { return study }
    let known = try store.studies().map(\.name)
    FileHandle.standardError.write(Data("tuna: no study '\(name)' in \(store.path); studies: \(known.isEmpty ? "none" : known.joined(separator: ", "))\n".utf8))
    throw ExitCode(1)
}

/// The ranking of a study's trials in the three formats.
enum Leaderboard {
    static func print(store: SQLiteTrialStore, study name: String, top: Int, format: OutputFormat) throws {
        let study = try requireStudy(store, name)
        let trials = try store.ranking(study: study.id, limit: top)
        let names = Array(Set(trials.flatMap(\.params.keys))).sorted()
        // A study with several metrics shows each (ranked by the first); one metric, its value.
        let metrics = study.objectives?.map(\.name) ?? [study.metric]
        let measured = { (trial: TrialRecord) -> [Double?] in
            if let values = trial.values, values.count == metrics.count { return values }
            return [trial.value] + Array(repeating: nil, count: metrics.count - 1)
        }
        switch format {
        case .json:
            let rows: [[String: Any]] = trials.map(row)
            let data = try JSONSerialization.data(withJSONObject: rows, options: [.sortedKeys, .prettyPrinted])
            Swift.print(String(decoding: data, as: UTF8.self))
        case .csv:
            Swift.print((["number", "state"] + metrics + ["std", "seconds"] + names).map(csvField).joined(separator: ","))
            for trial in trials {
                var cells: [String] = [String(trial.number), trial.state.rawValue]
                cells += measured(trial).map { $0.map { String($0) } ?? "" }
                cells.append(trial.std.map { String($0) } ?? "")
                cells.append(trial.duration.map { String(format: "%.3f", $0) } ?? "")
                for name in names { cells.append(trial.params[name].map(describe) ?? "") }
                Swift.print(cells.map(csvField).joined(separator: ","))
            }
        case .table:
            let counts = try store.stateCounts(study: study.id)
            let goal = study.objectives.map {
                $0.map { "\($0.direction.rawValue) \($0.name)" }.joined(separator: ", ") + " (ranked by \(study.metric))"
            } ?? "\(study.direction.rawValue) \(study.metric)"
            Swift.print("study \(study.name): \(goal); " + TrialState.allCases.compactMap { state in
                counts[state].map { "\($0) \(state.rawValue.lowercased())" }
            }.joined(separator: ", "))
            let header = ["rank", "trial"] + metrics + ["std", "seconds"] + names
            var lines = [header]
            for (rank, trial) in trials.enumerated() {
                var cells: [String] = [String(rank + 1), String(trial.number)]
                cells += measured(trial).map { $0.map { String(format: "%.6g", $0) } ?? "-" }
                cells.append(trial.std.map { String(format: "%.3g", $0) } ?? "-")
                cells.append(trial.duration.map { String(format: "%.2f", $0) } ?? "-")
                for name in names { cells.append(trial.params[name].map(describe) ?? "") }
                lines.append(cells)
            }
            let widths = header.indices.map { column in lines.map { $0[column].count }.max() ?? 0 }
            for line in lines {
                Swift.print(line.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }.joined(separator: "  "))
            }
            // Failed trials do not rank; say why they failed, one line per distinct error.
            let failed = try store.trials(study: study.id, states: [.fail])
            var byError: [(error: String, numbers: [Int])] = []
            for trial in failed {
                let error = trial.error ?? "no error recorded"
                if let index = byError.firstIndex(where: { $0.error == error }) { byError[index].numbers.append(trial.number) }
                else { byError.append((error, [trial.number])) }
            }
            if let best = trials.first, let test = try storedTestScore(store, trial: best.id) {
                Swift.print("trial \(best.number) retrained on all training rows: \(test.summary)")
            }
            for (error, numbers) in byError {
                let shown = numbers.prefix(8).map(String.init).joined(separator: ", ") + (numbers.count > 8 ? ", …" : "")
                Swift.print("failed \(numbers.count == 1 ? "trial" : "trials") \(shown): \(error)")
            }
        }
    }

    static func row(_ trial: TrialRecord) -> [String: Any] {
        var row: [String: Any] = ["number": trial.number, "state": trial.state.rawValue, "attempts": trial.attempts]
        if let value = trial.value { row["value"] = value }
        if let std = trial.std { row["std"] = std }
        if let values = trial.values { row["values"] = values }
        if let duration = trial.duration { row["seconds"] = duration }
        if let worker = trial.worker { row["worker"] = worker }
        row["params"] = trial.params.mapValues { value -> Any in
            switch value {
            case .number(let d): return d
            case .string(let s): return s
            case .bool(let b): return b
            case .null: return NSNull()
            }
        }
        return row
    }

    static func describe(_ value: JSONValue) -> String {
        switch value {
        case .number(let d): return d.rounded() == d && abs(d) < 1e15 ? String(Int(d)) : String(format: "%.4g", d)
        case .string(let s): return s
        case .bool(let b): return String(b)
        case .null: return "-"
        }
    }

    static func csvField(_ text: String) -> String {
        text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }
}

/// `tuna best STUDY`: the best trial.
struct Best: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print a study's best trial.")

    @Argument(help: "The study's name.") var study: String
    @Option(help: "The database.") var db = "tuna.sqlite"
    @Option(help: "table or json.") var format: OutputFormat = .table

    func run() throws {
        let store = try openReader(db)
        let record = try requireStudy(store, study)
        if let search = ParetoReport.multiObjective(record) {
            try ParetoReport(store: store, record: record, search: search).print(format: format)
            return
        }
        guard let best = try store.bestTrial(study: record.id) else {
            FileHandle.standardError.write(Data("tuna: study '\(study)' has no completed trial yet\n".utf8))
            throw ExitCode(1)
        }
        let test = try storedTestScore(store, trial: best.id)
        switch format {
        case .json:
            var row = Leaderboard.row(best)
            if let test { row["test"] = ["metric": test.metric, "value": test.value as Any, "rows": test.rows, "metrics": test.metrics] }
            let data = try JSONSerialization.data(withJSONObject: row, options: [.sortedKeys])
            Swift.print(String(decoding: data, as: UTF8.self))
        case .table, .csv:
            Swift.print("best trial of \(record.name): #\(best.number), \(record.metric) \(best.value.map { String(format: "%.6g", $0) } ?? "-") (cross-validated)")
            if let test { Swift.print("  \(test.summary) (retrained on all training rows)") }
            for (name, value) in best.params.sorted(by: { $0.key < $1.key }) { Swift.print("  \(name) = \(Leaderboard.describe(value))") }
        }
    }
}

/// `tuna trials STUDY`: the ranking.
struct Trials: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Rank a study's trials.")

    @Argument(help: "The study's name.") var study: String
    @Option(help: "The database.") var db = "tuna.sqlite"
    @Option(help: "How many trials.") var top = 20
    @Option(help: "table, csv or json.") var format: OutputFormat = .table
    @Option(help: "complete (the ranking), pruned, failed, running, waiting or all (every trial by number).")
    var state: TrialFilter = .complete

    func run() throws {
        let store = try openReader(db)
        guard state != .complete else {
            try Leaderboard.print(store: store, study: study, top: max(top, 1), format: format)
            return
        }
        let record = try requireStudy(store, study)
        let trials = try store.trials(study: record.id, states: state.states)
        // A pruned trial's value is the last one it reported, at the step it was stopped.
        let rows: [[String: Any]] = try trials.map { trial in
            var row = Leaderboard.row(trial)
            row["state"] = trial.state.rawValue
            if let last = try store.intermediateValues(trial: trial.id).last { row["last_step"] = last.step }
            if let error = trial.error { row["error"] = error }
            return row
        }
        switch format {
        case .json:
            let data = try JSONSerialization.data(withJSONObject: rows, options: [.sortedKeys, .prettyPrinted])
            Swift.print(String(decoding: data, as: UTF8.self))
        case .table, .csv:
            let separator = format == .csv ? "," : "  "
            Swift.print(["number", "state", record.metric, "last_step", "attempts", "error"].joined(separator: separator))
            for (trial, row) in zip(trials, rows) {
                let cells = [
                    String(trial.number), trial.state.rawValue, trial.value.map { String(format: "%.6g", $0) } ?? "-",
                    (row["last_step"] as? Int).map(String.init) ?? "-", String(trial.attempts), trial.error ?? "",
                ]
                Swift.print((format == .csv ? cells.map(Leaderboard.csvField) : cells).joined(separator: separator))
            }
        }
    }
}

/// Which trials `tuna trials --state` lists.
enum TrialFilter: String, ExpressibleByArgument, CaseIterable {
    case complete, pruned, failed, running, waiting, all

    var states: Set<TrialState>? {
        switch self {
        case .complete: [.complete]
        case .pruned: [.pruned]
        case .failed: [.fail]
        case .running: [.running]
        case .waiting: [.waiting]
        case .all: nil
        }
    }
}

/// `tuna studies`: every study in the database with its progress.
struct Studies: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the studies in a database.")

    @Option(help: "The database.") var db = "tuna.sqlite"
    @Option(help: "table or json.") var format: OutputFormat = .table

    func run() throws {
        let store = try openReader(db)
        var objects: [[String: Any]] = []
        for study in try store.studies() {
            let counts = try store.stateCounts(study: study.id)
            let done = [TrialState.complete, .pruned, .fail].reduce(0) { $0 + (counts[$1] ?? 0) }
            let best = try store.bestTrial(study: study.id)
            if format == .json {
                var object: [String: Any] = [
                    "name": study.name, "state": study.state.rawValue, "metric": study.metric,
                    "direction": study.direction.rawValue, "finished": done, "created_at": study.createdAt.timeIntervalSince1970,
                    "trials": Dictionary(uniqueKeysWithValues: counts.map { ($0.key.rawValue.lowercased(), $0.value) }),
                ]
                if let budget = study.trialBudget { object["budget"] = budget }
                if let best, let value = best.value { object["best"] = ["number": best.number, "value": value] }
                objects.append(object)
            } else {
                let shown = best?.value.map { String(format: "%.6g", $0) } ?? "-"
                Swift.print("\(study.name)  \(study.state.rawValue)  \(done)/\(study.trialBudget.map(String.init) ?? "?") trials  best \(study.metric) \(shown)")
            }
        }
        if format == .json {
            let data = try JSONSerialization.data(withJSONObject: objects, options: [.sortedKeys, .prettyPrinted])
            Swift.print(String(decoding: data, as: UTF8.self))
        }
    }
}

/// `tuna delete STUDY`: a study and its trials out of the database, when no scheduler holds it.
struct Delete: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Delete a study, its trials and data it alone used, from a database no scheduler is running on.")

    @Argument(help: "The study's name.") var study: String
    @Option(help: "The database.") var db = "tuna.sqlite"

    func run() throws {
        guard FileManager.default.fileExists(atPath: db) else {
            FileHandle.standardError.write(Data("tuna: no database at \(db)\n".utf8))
            throw ExitCode(1)
        }
        let (store, lock) = try openStore(db)
        defer { withExtendedLifetime(lock) {} }
        let record = try requireStudy(store, study)
        let counts = try store.stateCounts(study: record.id)
        try store.deleteStudy(record.id)
        try store.checkpoint()
        print("deleted study \(study) and its \(counts.values.reduce(0, +)) trials from \(db)")
    }
}

/// The artifact kind under which a trial's test score is kept.
let testScoreArtifact = "test_score"

/// The test score stored with a trial (by `tuna run` at the end of a study with test rows).
func storedTestScore(_ store: any TrialStore, trial: Int64) throws -> TestScore? {
    guard let artifact = try store.artifact(trial: trial, kind: testScoreArtifact) else { return nil }
    return try? JSONDecoder().decode(TestScore.self, from: artifact.data)
}
