import Foundation
import Testing
import TunaData
import TunaExport
import TunaStore

/// Export, prediction and evaluation over an in-memory store holding one iris study.
@Suite struct ModelBundleTests {
    static let irisPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../datasets/iris.csv").standardized.path

    /// The shipped iris study, as `tuna run search-spaces/iris-mlp.yaml` stores it.
    static let studyPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../search-spaces/iris-mlp.yaml").standardized.path

    static func studyText() throws -> String { try String(contentsOfFile: studyPath, encoding: .utf8) }

    /// A store as a finished run leaves it: the study text, its data by hash, two trials.
    static func store(text: String? = nil, failSecond: Bool = true) throws -> InMemoryTrialStore {
        let store = InMemoryTrialStore()
        let bytes = try Data(contentsOf: URL(fileURLWithPath: irisPath))
        let dataset = StoredDataset(hash: "irishash", fileExtension: "csv", bytes: bytes)
        try store.putDataset(dataset)
        let study = try store.createStudy(NewStudy(
            name: "iris-mlp", studyFile: try text ?? studyText(), studyHash: "h", direction: .maximize, metric: "accuracy",
            trialBudget: 2, settings: ["path": .string(studyPath), "dataset": .string("irishash")]))
        let best = try store.createTrial(study: study.id, params: [
            "lr": .number(0.02), "layers": .number(1), "units": .number(16), "activation": .string("relu"),
            "dropout": .number(0.1), "optimizer": .string("adam"),
        ])
        _ = try store.complete(best.id, value: 0.95, std: 0.02)
        let second = try store.createTrial(study: study.id, params: [
            "lr": .number(0.01), "layers": .number(2), "units": .number(8), "activation": .string("tanh"),
            "dropout": .number(0), "optimizer": .string("rmsprop"),
        ])
        _ = failSecond ? try store.fail(second.id, error: "boom") : try store.complete(second.id, value: 0.9)
        return store
    }

    @Test func theSameTrialExportsToTheSameBytes() throws {
        let store = try Self.store()
        let (first, notes) = try TrialExport.retrain(store: store, study: "iris-mlp")
        let (second, _) = try TrialExport.retrain(store: store, study: "iris-mlp", trial: 0)
        #expect(try first.encoded() == second.encoded())
        #expect(notes.contains { $0.contains("40 epochs (configured)") }, "\(notes)")
        #expect(first.info.classNames == ["setosa", "versicolor", "virginica"])
        #expect(first.info.inputColumns.map(\.name) == ["sepal_length_cm", "sepal_width_cm", "petal_length_cm", "petal_width_cm"])
        #expect(first.info.cvValue == 0.95 && first.info.cvStd == 0.02)
        #expect(first.info.params["units"] == .number(16))
    }

    @Test func aBundleRoundTripsAndPredictsIrisWell() throws {
        let (bundle, _) = try TrialExport.retrain(store: try Self.store(), study: "iris-mlp")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tuna-bundle-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("iris.model").path
        try bundle.write(to: path)
        let loaded = try ModelBundle.load(path: path)
        #expect(loaded.info == bundle.info)
        let (table, notes) = try loaded.readRows(path: Self.irisPath)
        #expect(notes.isEmpty, "the target column is not an extra column: \(notes)")
        let predictions = try loaded.predict(table)
        #expect(predictions.labels == (try bundle.predict(table)).labels)
        let evaluation = try loaded.evaluate(table)
        let accuracy = try #require(evaluation.metrics["accuracy"])
        #expect(accuracy > 0.9, "training accuracy \(accuracy)")
        #expect(evaluation.confusionMatrix?.map { $0.reduce(0, +) } == [50, 50, 50])
        #expect(evaluation.metrics["roc_auc"] == nil, "three classes: no ROC-AUC")
    }

    @Test func missingColumnsAreNamedAndExtraOnesNoted() throws {
        let (bundle, _) = try TrialExport.retrain(store: try Self.store(), study: "iris-mlp")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tuna-bundle-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let lacking = folder.appendingPathComponent("lacking.csv").path
        try "sepal_length_cm,sepal_width_cm,petal_length_cm\n5.1,3.5,1.4\n".write(toFile: lacking, atomically: true, encoding: .utf8)
        #expect { try bundle.readRows(path: lacking) } throws: { "\($0)".contains("'petal_width_cm'") }
        let extra = folder.appendingPathComponent("extra.csv").path
        try "id,sepal_length_cm,sepal_width_cm,petal_length_cm,petal_width_cm\n1,5.1,3.5,1.4,0.2\n2,5.0,3.4,,0.2\n".write(toFile: extra, atomically: true, encoding: .utf8)
        let (table, notes) = try bundle.readRows(path: extra)
        #expect(notes == ["ignored column the model does not read: id"])
        #expect(try bundle.predict(table.selecting(rows: [0])).text(0) == "setosa")
        // The study imputes nothing, so a blank cell is refused with its column, as in training.
        #expect { try bundle.predict(table) } throws: { "\($0)".contains("column 'petal_length_cm' still has a missing value") }
    }

    /// A study's `na_values` and per-series normalisation travel with the model: new rows are
    /// read with the same markers and normalised by their own values.
    @Test func readingOptionsAndNormalisationTravelWithTheModel() throws {
        let text = try Self.studyText()
            .replacingOccurrences(of: "task: classification}", with: "task: classification, na_values: [\"-\", -1]}")
            .replacingOccurrences(of: "preprocess: [{scale: standard}]", with: "preprocess: [{normalize: per_series}, {impute: mean}, {scale: standard}]")
        #expect(text.contains("na_values") && text.contains("per_series"), "the shipped study changed shape")
        let (bundle, _) = try TrialExport.retrain(store: try Self.store(text: text), study: "iris-mlp")
        #expect(bundle.info.missingValues == ["-", "-1"])
        #expect(bundle.info.pipeline.steps.first == .normalizeRows(bundle.info.inputColumns.map(\.name)))
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tuna-bundle-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let rows = folder.appendingPathComponent("rows.csv").path
        // Row 2 is row 1 times 10 plus 3: the same series after normalisation. Rows 3 and 4
        // carry the study's markers, read as missing values and imputed.
        try """
            sepal_length_cm,sepal_width_cm,petal_length_cm,petal_width_cm
            6.3,2.5,5.0,1.9
            66,28,53,22
            -,2.5,5.0,1.9
            -1,2.5,5.0,1.9

            """.write(toFile: rows, atomically: true, encoding: .utf8)
        let (table, _) = try bundle.readRows(path: rows)
        #expect(table["sepal_length_cm"]?.numbers?.suffix(2).allSatisfy(\.isNaN) == true)
        let predictions = try bundle.predict(table)
        #expect(predictions.labels[0] == predictions.labels[1])
        #expect(zip(predictions.probabilities[0], predictions.probabilities[1]).allSatisfy { abs($0 - $1) < 1e-5 })
        #expect(predictions.probabilities[2] == predictions.probabilities[3])
    }

    @Test func unexportableTrialsAndStudiesAreRefused() throws {
        let store = try Self.store()
        #expect { try TrialExport.retrain(store: store, study: "iris-mlp", trial: 1) } throws: {
            "\($0)".contains("trial #1 of 'iris-mlp' is FAIL: boom")
        }
        #expect { try TrialExport.retrain(store: store, study: "iris-mlp", trial: 7) } throws: { "\($0)".contains("no trial #7") }
        #expect { try TrialExport.retrain(store: store, study: "other") } throws: { "\($0)".contains("studies: iris-mlp") }
        let function = """
            name: iris-mlp
            objective: {function: branin}
            search: {algorithm: random, trials: 2, parameters: {x0: {float: [-5, 10]}, x1: {float: [0, 15]}}}
            """
        #expect { try TrialExport.retrain(store: try Self.store(text: function), study: "iris-mlp") } throws: {
            "\($0)".contains("scores the function 'branin'")
        }
        let none = InMemoryTrialStore()
        _ = try none.createStudy(NewStudy(
            name: "iris-mlp", studyFile: try Self.studyText(), studyHash: "h", direction: .maximize, metric: "accuracy"))
        #expect { try TrialExport.retrain(store: none, study: "iris-mlp") } throws: { "\($0)".contains("no completed trial") }
    }
}
