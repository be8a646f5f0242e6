import Foundation
import Testing
import TunaStore

/// Held-out test rows: the search never sees them; after it, the winner is retrained on every
/// training row and scored once on them; `tuna best` shows the score, and `tuna evaluate` of the
/// exported model on the same rows gives the same number.
@Suite(.serialized) struct TestScoreTests {
    static let datasets = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../datasets").standardized.path

    @Test func aTestFileIsScoredAfterTheSearchAndMatchesEvaluate() throws {
        let workspace = try Workspace()
        let study = try workspace.write("gunpoint.yaml", """
            name: gunpoint-test
            data: {path: \(Self.datasets)/gunpoint_train.csv, test: \(Self.datasets)/gunpoint_test.csv, target: target, input_shape: [150, 1]}
            model:
              layers: [{gru: {units: "$units"}}, {dense: {units: 2, activation: softmax}}]
              loss: sparse_categorical_crossentropy
              optimizer: {name: adam, learning_rate: 0.01}
              epochs: 4
              batch_size: 10
            search: {algorithm: random, metric: accuracy, folds: 2, trials: 2, parameters: {units: {int: [4, 8]}}}
            """)
        let (status, output, errors) = try TunaProcess.run(["run", study, "--workers", "2", "--db", workspace.db], in: workspace.url, timeout: 120)
        #expect(status == 0, "\(errors)")
        #expect(output.contains("retrained on all training rows: test accuracy"), "\(output)")
        let (bestStatus, best, _) = try TunaProcess.run(["best", "gunpoint-test", "--db", workspace.db, "--format", "json"], in: workspace.url)
        #expect(bestStatus == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(best.utf8)) as? [String: Any])
        let test = try #require(object["test"] as? [String: Any], "\(best)")
        let stored = try #require(test["value"] as? Double)
        #expect(test["rows"] as? Int == 150, "GunPoint's test file has 150 series: \(test)")

        let model = workspace.url.appendingPathComponent("gunpoint.model").path
        let (exported, _, exportErrors) = try TunaProcess.run(["export", "gunpoint-test", "--db", workspace.db, "--out", model], in: workspace.url, timeout: 120)
        #expect(exported == 0, "\(exportErrors)")
        let (evaluated, report, evaluateErrors) = try TunaProcess.run(
            ["evaluate", model, "\(Self.datasets)/gunpoint_test.csv", "--format", "json"], in: workspace.url)
        #expect(evaluated == 0, "\(evaluateErrors)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(report.utf8)) as? [String: Any])
        let accuracy = try #require((json["metrics"] as? [String: Double])?["accuracy"])
        #expect(abs(accuracy - stored) < 1e-12, "evaluate \(accuracy) vs stored test score \(stored)")
    }

    @Test func aTestFractionIsHeldOutOfTheSearchAndScored() throws {
        let workspace = try Workspace()
        let text = NetworkStudyTests.irisStudy(name: "iris-holdout", trials: 2)
            .replacingOccurrences(of: "target: target}", with: "target: target, test: 0.2}")
        let study = try workspace.write("iris.yaml", text)
        let (status, output, errors) = try TunaProcess.run(["run", study, "--workers", "2", "--db", workspace.db], in: workspace.url, timeout: 120)
        #expect(status == 0, "\(errors)")
        #expect(output.contains("test accuracy") && output.contains("on 30 rows"), "20% of 150 rows, stratified: \(output)")
        let model = workspace.url.appendingPathComponent("iris.model").path
        let (exported, exportOutput, exportErrors) = try TunaProcess.run(["export", "iris-holdout", "--db", workspace.db, "--out", model], in: workspace.url)
        #expect(exported == 0, "\(exportErrors)")
        #expect((exportOutput + exportErrors).contains("120 training rows"), "the export trains on the 120 search rows: \(exportOutput) \(exportErrors)")
    }
}

/// An export with early stopping trains as long as the folds' kept weights did.
@Suite struct ExportEpochTests {
    @Test func earlyStoppingsKeptEpochsSetTheExportsEpochs() throws {
        let workspace = try Workspace()
        let text = NetworkStudyTests.irisStudy(name: "iris-early", trials: 1)
            .replacingOccurrences(of: "  epochs: 30\n", with: "  epochs: 200\n  early_stopping: {monitor: val_loss, patience: 2}\n")
        #expect(text.contains("early_stopping"))
        let study = try workspace.write("iris.yaml", text)
        let (status, _, errors) = try TunaProcess.run(["run", study, "--workers", "1", "--db", workspace.db], in: workspace.url, timeout: 120)
        try #require(status == 0, "\(errors)")
        let store = try SQLiteTrialStore(readOnlyPath: workspace.db)
        let record = try #require(try store.study(named: "iris-early"))
        let trial = try #require(try store.trials(study: record.id, states: [.complete]).first)
        let epochs = try store.foldValues(trial: trial.id).compactMap(\.epochs)
        #expect(epochs.count == 3 && epochs.allSatisfy { (1...200).contains($0) }, "\(epochs)")
        let mean = Int((Double(epochs.reduce(0, +)) / 3).rounded())
        let model = workspace.url.appendingPathComponent("iris.model").path
        let (exported, output, exportErrors) = try TunaProcess.run(["export", "iris-early", "--db", workspace.db, "--out", model], in: workspace.url)
        #expect(exported == 0, "\(exportErrors)")
        #expect(output.contains("for \(mean) epochs (the mean epoch early stopping kept across 3 folds"), "\(output)")
    }
}

/// Fine-tuning keeps frozen layers' weights bit for bit and changes the others; a layer's
/// outputs come out as feature columns.
@Suite struct FineTuneTests {
    /// The bytes of one tensor of a safetensors file.
    static func tensor(_ name: String, in path: String) throws -> Data {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let length = Int(data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        let header = try #require(try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + length))) as? [String: Any])
        let entry = try #require(header[name] as? [String: Any], "no tensor \(name) in \(header.keys.sorted())")
        let offsets = try #require(entry["data_offsets"] as? [Int])
        return data.subdata(in: (8 + length + offsets[0])..<(8 + length + offsets[1]))
    }

    @Test func frozenLayersKeepTheirWeightsAndLayerOutputsAreFeatures() throws {
        let workspace = try Workspace()
        let study = try workspace.write("iris.yaml", NetworkStudyTests.irisStudy(name: "iris-tune", trials: 1))
        let (status, _, errors) = try TunaProcess.run(["run", study, "--workers", "1", "--db", workspace.db], in: workspace.url, timeout: 120)
        try #require(status == 0, "\(errors)")
        let base = workspace.url.appendingPathComponent("base.model").path, tuned = workspace.url.appendingPathComponent("tuned.model").path
        #expect(try TunaProcess.run(["export", "iris-tune", "--db", workspace.db, "--out", base], in: workspace.url).0 == 0)
        let (tunedStatus, output, tuneErrors) = try TunaProcess.run(
            ["finetune", base, NetworkStudyTests.irisPath, "--freeze", "dense", "--epochs", "3", "--out", tuned], in: workspace.url)
        #expect(tunedStatus == 0 && output.contains("(dense frozen)"), "\(output) \(tuneErrors)")
        #expect(try Self.tensor("dense/kernel", in: base) == Self.tensor("dense/kernel", in: tuned), "the frozen layer kept its weights")
        #expect(try Self.tensor("dense_1/kernel", in: base) != Self.tensor("dense_1/kernel", in: tuned), "the other layer trained")

        let (wrong, _, wrongErrors) = try TunaProcess.run(
            ["finetune", base, NetworkStudyTests.irisPath, "--freeze", "dens", "--out", tuned], in: workspace.url)
        #expect(wrong == 1 && wrongErrors.contains("did you mean 'dense'"), "\(wrongErrors)")

        let (featuresStatus, features, _) = try TunaProcess.run(["predict", tuned, NetworkStudyTests.irisPath, "--layer", "dense"], in: workspace.url)
        let lines = features.split(separator: "\n")
        #expect(featuresStatus == 0 && lines.count == 151, "a header and one row per input row")
        let width = lines.first?.split(separator: ",").count ?? 0
        #expect(width >= 8 && lines.dropFirst().allSatisfy { $0.split(separator: ",").count == width }, "\(lines.prefix(2))")
    }
}

/// A regression with categorical inputs and missing values (penguins' body mass), through
/// export, predict and evaluate: errors in grams, categories one-hot encoded by the stored
/// pipeline, and a held-out test score.
@Suite struct RegressionExportTests {
    @Test func aRegressionWithCategoriesExportsPredictsAndEvaluates() throws {
        let workspace = try Workspace()
        let study = try workspace.write("penguins.yaml", """
            name: penguins-export
            data: {path: \(TestScoreTests.datasets)/penguins.csv, target: body_mass_g, task: regression, test: 0.2}
            preprocess:
              - {impute: {numeric: median, categorical: most_frequent}}
              - {onehot: [species, island, sex]}
              - {scale: standard}
              - {scale_target: standard}
            model:
              layers: [{dense: {units: 16, activation: relu}}, {dense: {units: 1}}]
              loss: mse
              optimizer: {name: adam, learning_rate: 0.01}
              epochs: 40
              batch_size: 32
            search: {algorithm: random, metric: mae, direction: minimize, folds: 3, trials: 2, parameters: {x: {float: [0, 1]}}}
            """)
        let (status, output, errors) = try TunaProcess.run(["run", study, "--workers", "2", "--db", workspace.db], in: workspace.url, timeout: 120)
        #expect(status == 0, "\(errors)")
        #expect(output.contains("test mae"), "\(output)")
        let model = workspace.url.appendingPathComponent("penguins.model").path
        let (exported, _, exportErrors) = try TunaProcess.run(["export", "penguins-export", "--db", workspace.db, "--out", model], in: workspace.url)
        #expect(exported == 0, "\(exportErrors)")
        let (evaluated, report, evaluateErrors) = try TunaProcess.run(
            ["evaluate", model, "\(TestScoreTests.datasets)/penguins.csv", "--format", "json"], in: workspace.url)
        #expect(evaluated == 0, "\(evaluateErrors)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(report.utf8)) as? [String: Any])
        let metrics = try #require(json["metrics"] as? [String: Double])
        // Grams: penguins weigh 2.7-6.3 kg; a fitted network is off by a few hundred grams.
        #expect((metrics["mae"] ?? .infinity) < 600 && (metrics["r2"] ?? -1) > 0.5, "\(metrics)")
        let (predicted, predictions, predictErrors) = try TunaProcess.run(["predict", model, "\(TestScoreTests.datasets)/penguins.csv"], in: workspace.url)
        #expect(predicted == 0, "\(predictErrors)")
        let values = predictions.split(separator: "\n").dropFirst().compactMap { Double($0) }
        #expect(values.count > 300 && values.allSatisfy { (2000...7500).contains($0) }, "predictions in grams: \(values.prefix(5))")
    }
}
