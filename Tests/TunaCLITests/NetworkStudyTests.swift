import Foundation
import Testing
import TunaStore

/// A network study end to end: iris through the preprocessing pipeline and 3-fold
/// cross-validation in worker processes, every fold's score stored.
@Suite(.serialized) struct NetworkStudyTests {
    static let irisPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../datasets/iris.csv").standardized.path

    /// A small iris study: one hidden layer, its width and learning rate tuned.
    static func irisStudy(name: String, trials: Int) -> String {
        """
        name: \(name)
        data: {path: \(irisPath), target: target}
        preprocess: [{scale: standard}]
        model:
          layers:
            - {dense: {units: "$units", activation: relu}}
            - {dense: {units: 3, activation: softmax}}
          loss: sparse_categorical_crossentropy
          optimizer: {name: adam, learning_rate: "$lr"}
          epochs: 30
          batch_size: 16
        search:
          algorithm: random
          metric: accuracy
          folds: 3
          trials: \(trials)
          parameters:
            lr: {float: [0.005, 0.05], log: true}
            units: {int: [8, 32]}
        """
    }

    @Test func irisTrialsStoreTheirFoldsAndReachGoodAccuracy() throws {
        let workspace = try Workspace()
        let study = try workspace.write("iris.yaml", Self.irisStudy(name: "e2e-iris", trials: 4))
        let (status, output, errors) = try TunaProcess.run(["run", study, "--db", workspace.db, "--workers", "2"], in: workspace.url, timeout: 120)
        #expect(status == 0, "\(errors)")
        #expect(output.contains("maximize accuracy"))
        let store = try SQLiteTrialStore(readOnlyPath: workspace.db)
        let record = try #require(try store.study(named: "e2e-iris"))
        let trials = try store.trials(study: record.id, states: [.complete])
        #expect(trials.count == 4)
        for trial in trials {
            let folds = try store.foldValues(trial: trial.id).compactMap(\.value)
            #expect(folds.count == 3)
            let mean = folds.reduce(0, +) / Double(max(folds.count, 1))
            #expect(abs((trial.value ?? .nan) - mean) < 1e-9, "the trial's value is the mean of its folds")
            #expect(try store.intermediateValues(trial: trial.id).count >= 3, "epochs were reported")
        }
        let best = try #require(try store.bestTrial(study: record.id)?.value)
        #expect(best >= 0.9, "cross-validated iris accuracy \(best)")
    }
}

/// Workers need no shared file system: the data set travels by content hash and is cached.
@Suite(.serialized) struct DatasetTransferTests {
    @Test func aWorkerWithoutTheDataFileReceivesAndCachesIt() throws {
        let workspace = try Workspace()
        let iris = try String(contentsOfFile: NetworkStudyTests.irisPath, encoding: .utf8)
        let dataPath = try workspace.write("iris-copy.csv", iris)
        let study = try workspace.write("iris.yaml", """
            name: e2e-transfer
            data: {path: iris-copy.csv, target: target}
            preprocess: [{scale: standard}]
            model:
              layers: [{dense: {units: 8, activation: relu}}, {dense: {units: 3, activation: softmax}}]
              loss: sparse_categorical_crossentropy
              optimizer: {name: adam, learning_rate: "$lr"}
              epochs: 5
            search: {algorithm: random, metric: accuracy, folds: 3, trials: 2, parameters: {lr: {float: [0.01, 0.05]}}}
            """)
        let scheduler = try TunaProcess(["run", study, "--workers", "0", "--db", workspace.db], in: workspace.url)
        let line = try #require(scheduler.waitForError(containing: "scheduler at "))
        let endpoint = try #require(line.split(separator: " ").first { $0.hasPrefix("tcp://") }).trimmingCharacters(in: CharacterSet(charactersIn: ";"))
        // The scheduler has read the data; the worker cannot find it at the study's path.
        try FileManager.default.removeItem(atPath: dataPath)
        let cache = workspace.url.appendingPathComponent("cache").path
        let worker = try TunaProcess(["worker", "--connect", endpoint, "--cache", cache, "--verbose"], in: workspace.url)
        #expect(scheduler.wait(timeout: 60) == 0, "\(scheduler.errors)")
        worker.wait(timeout: 15)
        let cached = try FileManager.default.contentsOfDirectory(atPath: cache)
        #expect(cached.count == 1 && cached[0].hasSuffix(".csv"), "\(cached)")
        #expect(try String(contentsOfFile: cache + "/" + cached[0], encoding: .utf8) == iris)
        #expect(worker.errors.contains("cached data set"), "\(worker.errors)")
        let store = try SQLiteTrialStore(readOnlyPath: workspace.db)
        let record = try #require(try store.study(named: "e2e-transfer"))
        #expect(try store.trials(study: record.id, states: [.complete]).count == 2)
    }
}
