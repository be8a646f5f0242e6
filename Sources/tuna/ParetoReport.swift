import ArgumentParser
import Foundation
import TunaSearch
import TunaSpec
import TunaStore

/// `tuna best` for a study with several metrics: no single trial is best, so it prints the
/// Pareto front (the complete trials no other complete trial beats on every metric), and the
/// hypervolume when the study declares a reference point.
struct ParetoReport {
    let store: SQLiteTrialStore
    let record: StudyRecord
    let search: SearchSettings

    /// The study's search settings when it has several metrics. They come from the study text
    /// stored with it (nothing else is opened), so the names and directions are the study's own.
    static func multiObjective(_ record: StudyRecord) -> SearchSettings? {
        guard let study = try? Study.parse(text: record.studyFile, file: record.name, checkFiles: false),
              study.search.multiObjective != nil else { return nil }
        return study.search
    }

    func print(format: OutputFormat) throws {
        let complete = try store.trials(study: record.id, state: .complete)
        let directions = search.objectives.map(\.direction)
        let candidates = complete.map { MultiObjectiveTrial(number: $0.number, state: .complete, params: [:], values: $0.values) }
        let front = ParetoFront.of(candidates, directions: directions)
        let byNumber = Dictionary(complete.map { ($0.number, $0) }, uniquingKeysWith: { a, _ in a })
        let trials = front.compactMap { byNumber[$0.number] }
        let reference = search.multiObjective?.referencePoint
        let hypervolume = reference.map { ParetoFront.hypervolume(front, directions: directions, reference: $0) }
        guard !trials.isEmpty else {
            FileHandle.standardError.write(Data("tuna: study '\(record.name)' has no completed trial with every metric yet\n".utf8))
            throw ExitCode(1)
        }
        switch format {
        case .json:
            var object: [String: Any] = [
                "study": record.name,
                "metrics": search.objectives.map { ["name": $0.name, "direction": $0.direction.rawValue] },
                "front": trials.map(Leaderboard.row),
            ]
            if let reference, let hypervolume {
                object["reference_point"] = reference
                object["hypervolume"] = hypervolume
            }
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            Swift.print(String(decoding: data, as: UTF8.self))
        case .table, .csv:
            let metrics = search.objectives.map { "\($0.direction.rawValue) \($0.name)" }.joined(separator: ", ")
            Swift.print("Pareto front of \(record.name): \(trials.count) of \(complete.count) complete trials (\(metrics))")
            if let reference, let hypervolume {
                let point = zip(search.objectives, reference).map { "\($0.name) \(Self.format($1))" }.joined(separator: ", ")
                Swift.print("hypervolume \(Self.format(hypervolume)) (reference point \(point))")
            }
            for trial in trials {
                let values = zip(search.objectives, trial.values ?? []).map { "\($0.name) \(Self.format($1))" }
                Swift.print("#\(trial.number): " + values.joined(separator: ", "))
                for (name, value) in trial.params.sorted(by: { $0.key < $1.key }) {
                    Swift.print("  \(name) = \(Leaderboard.describe(value))")
                }
            }
        }
    }

    static func format(_ value: Double) -> String { String(format: "%.6g", value) }
}
