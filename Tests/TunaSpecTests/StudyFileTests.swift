import Foundation
import Testing
import TunaNN
import TunaSearch
import TunaTemplate
@testable import TunaSpec

/// Study files written to a temporary folder beside a small data file (removed afterwards).
final class StudyFolder {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("tuna-spec-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        // Five rows per class: studies are checked against their data at load, and 5-fold
        // stratified cross-validation needs a row of each class in every fold.
        let rows = (0..<10).map { "\($0),\($0 * 2),\($0 % 2 == 0 ? "x" : "y")" }
        try (["a,b,target"] + rows).joined(separator: "\n").appending("\n")
            .write(to: url.appendingPathComponent("data.csv"), atomically: true, encoding: .utf8)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    func parse(_ yaml: String) throws -> Study {
        let path = url.appendingPathComponent("study.yaml").path
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return try Study.loadChecked(path: path)
    }

    /// The error text for a study, with the folder stripped so that tests read `study.yaml:3:5`.
    func error(_ yaml: String) -> String {
        do { _ = try parse(yaml); return "no error" } catch {
            return "\(error)".replacingOccurrences(of: url.path + "/", with: "")
        }
    }
}

let mlpStudy = """
name: toy-mlp
data: {path: data.csv, target: target}
model:
  layers:
    - {dense: {units: "$units_{i}", activation: "$activation"}, repeat: "$layers"}
    - {dropout: "$dropout"}
    - {dense: {units: 2, activation: softmax}}
  loss: sparse_categorical_crossentropy
  optimizer: {name: "$optimizer", learning_rate: "$lr"}
  metrics: [accuracy]
  epochs: 5
  batch_size: "$batch_size"
  early_stopping: {monitor: val_loss, patience: 2}
search:
  algorithm: tpe
  metric: accuracy
  folds: 3
  trials: 12
  seed: 7
  pruner: {median: {warmup_steps: 1}}
  parameters:
    lr: {float: [1.0e-4, 0.1], log: true}
    layers: {int: [1, 3]}
    units_1: {int: [16, 256], log: true}
    units_2: {int: [16, 256], log: true, when: "layers >= 2"}
    units_3: {int: [16, 256], log: true, when: "layers >= 3"}
    activation: {choice: [relu, tanh]}
    dropout: {float: [0.0, 0.5]}
    batch_size: {choice: [32, 64, 128]}
    optimizer: {choice: [adam, sgd, rmsprop]}
    momentum: {float: [0.0, 0.95], when: {optimizer: sgd}}
"""

@Suite struct StudyFileTests {
    @Test func aFullStudyParsesAndResolvesPerTrial() throws {
        let folder = try StudyFolder()
        let study = try folder.parse(mlpStudy)
        #expect(study.name == "toy-mlp")
        #expect(study.search.algorithm == .tpe && study.search.direction == .maximize && study.search.folds == 3)
        #expect(study.search.pruner == .median(MedianPruner(startupTrials: 5, warmupSteps: 1)))
        #expect(study.search.space.parameters.count == 10)
        #expect(study.hash.count == 64)
        #expect(study.data?.path.hasSuffix("/data.csv") == true)
        let params: Parameters = [
            "lr": .double(0.01), "layers": .int(2), "units_1": .int(64), "units_2": .int(32), "activation": .string("tanh"),
            "dropout": .double(0.25), "batch_size": .int(64), "optimizer": .string("sgd"), "momentum": .double(0.9),
        ]
        let plan = try #require(try study.modelTemplate()).resolve(params)
        #expect(plan.layers.count == 4)
        // Compared outside #expect: reflecting a LayerSpec value for the expression log
        // crashes the Swift 6.3 runtime's Mirror on this multi-payload enum.
        let expected: [LayerSpec] = [
            .dense(Dense.Config(units: 64, activation: .tanh)), .dense(Dense.Config(units: 32, activation: .tanh)),
            .dropout(Dropout.Config(rate: 0.25)),
        ]
        let matches = zip(plan.layers, expected).map { $0 == $1 }
        #expect(matches == [true, true, true], "resolved layers: \(plan.layers.map(\.kind))")
        #expect(plan.optimizer.name == "sgd" && plan.optimizer.learningRate == 0.01)
        #expect(plan.batchSize == 64 && plan.epochs == 5 && plan.metrics == ["accuracy"])
        #expect(plan.earlyStopping?.patience == 2)
    }

    @Test func functionAndCommandObjectives() throws {
        let folder = try StudyFolder()
        let function = try folder.parse("""
            name: branin-gp
            objective: {function: branin}
            search: {algorithm: bayesian, trials: 30, parameters: {x0: {float: [-5, 10]}, x1: {float: [0, 15]}}}
            """)
        #expect(function.objective == .function("branin"))
        #expect(function.search.direction == .minimize, "metric 'loss' by default, minimised")
        let command = try folder.parse("""
            name: script
            objective: {command: [python3, train.py, "--lr={lr}"], timeout: 30, metric: accuracy}
            search: {direction: maximize, parameters: {lr: {float: [0.001, 0.1], log: true}}}
            """)
        guard case .command(let objective) = command.objective else { Issue.record("not a command"); return }
        #expect(objective.arguments(for: ["lr": .double(0.05)]) == ["python3", "train.py", "--lr=0.05"])
        #expect(objective.timeout == 30)
    }

    @Test func errorsPointAtFileLineAndColumn() throws {
        let folder = try StudyFolder()
        let base = "name: s\nobjective: {function: sphere1}\nsearch:\n  parameters:\n"
        #expect(folder.error(base + "    x0: {float: [2, 1]}\n") == "study.yaml:5:17: error: parameter 'x0': low 2.0 is above high 1.0")
        #expect(folder.error(base + "    x0: {float: [0, 1], log: true}\n") == "study.yaml:5:17: error: parameter 'x0': a log scale needs low > 0, got 0.0")
        #expect(folder.error(base + "    x0: {choice: []}\n") == "study.yaml:5:18: error: parameter 'x0': the choice list is empty")
        #expect(folder.error(base + "    x0: {flaot: [0, 1]}\n").hasPrefix("study.yaml:5:10: error: unknown key 'flaot' in parameter 'x0' (did you mean 'float'?)"))
        #expect(folder.error(base.replacingOccurrences(of: "search:", with: "serch:") + "    x0: {float: [0, 1]}\n")
            .hasPrefix("study.yaml:3:1: error: unknown key 'serch' in the study (did you mean 'search'?)"))
        #expect(folder.error(base + "    x0: {float: [0, 1], when: {y: 1}}\n").contains("5:31: error: condition of 'x0' names no parameter 'y'"))
        #expect(folder.error("name: s\nsearch: [\n").hasPrefix("study.yaml:"), "YAML syntax errors are located too")
        #expect(folder.error(base.replacingOccurrences(of: "sphere1", with: "sphear4") + "    x0: {float: [0, 1]}\n")
            .contains("did you mean"))
    }

    @Test func modelErrorsPointIntoTheModel() throws {
        let folder = try StudyFolder()
        let placeholder = mlpStudy.replacingOccurrences(of: "\"$dropout\"", with: "\"$dropuot\"")
        #expect(folder.error(placeholder) == "study.yaml:6:17: error: placeholder '$dropuot' names no parameter (did you mean '$dropout'?)")
        let activation = mlpStudy.replacingOccurrences(of: "activation: softmax", with: "activation: softmx")
        #expect(folder.error(activation).hasPrefix("study.yaml:7:38: error: model.layers:"), "\(folder.error(activation))")
        #expect(folder.error(activation).contains("did you mean 'softmax'"))
        let choice = mlpStudy.replacingOccurrences(of: "[adam, sgd, rmsprop]", with: "[adam, sgd, rmsprp]")
        #expect(folder.error(choice).contains("unknown optimizer 'rmsprp'"), "\(folder.error(choice))")
        let preprocess = mlpStudy.replacingOccurrences(of: "data: {path: data.csv, target: target}", with: "data: {path: data.csv, target: target}\npreprocess: [{scale: standart}]")
        #expect(folder.error(preprocess).hasPrefix("study.yaml:3:"), "\(folder.error(preprocess))")
        #expect(folder.error(preprocess).contains("standart"))
        let data = mlpStudy.replacingOccurrences(of: "data.csv", with: "missing.csv")
        #expect(folder.error(data).hasPrefix("study.yaml:2:14: error: data file 'missing.csv' not found"))
    }
}

@Suite struct PlaceholderKeyTests {
    /// A categorical parameter as a layer's key picks the layer kind, also inside a wrapper.
    @Test func aPlaceholderKeyChoosesTheLayerKind() throws {
        let folder = try StudyFolder()
        let study = try folder.parse("""
            name: cells
            data: {path: data.csv, target: target, input_shape: [2, 1]}
            model:
              layers:
                - bidirectional: {layer: {"$cell": {units: "$units"}}}
                - {dense: {units: 2, activation: softmax}}
              loss: sparse_categorical_crossentropy
            search:
              parameters:
                cell: {categorical: [gru, lstm, simple_rnn]}
                units: {int: [2, 8]}
            """)
        let model = try #require(try study.modelTemplate())
        for cell in ["gru", "lstm", "simple_rnn"] {
            let plan = try model.resolve(["cell": .string(cell), "units": .int(3)])
            guard case .bidirectional(let config) = plan.layers[0] else { Issue.record("not bidirectional"); continue }
            #expect(config.layer.kind == cell)
        }
        let typo = folder.error("""
            name: cells
            data: {path: data.csv, target: target}
            model:
              layers: [{"$cel": {units: 3}}]
              loss: mse
            search: {parameters: {cell: {categorical: [gru, lstm]}}}
            """)
        #expect(typo.hasPrefix("study.yaml:4:"), "\(typo)")
        #expect(typo.contains("placeholder '$cel' names no parameter (did you mean '$cell'?)"), "\(typo)")
        let badKind = folder.error("""
            name: cells
            data: {path: data.csv, target: target}
            model:
              layers: [{"$cell": {units: 3}}]
              loss: mse
            search: {parameters: {cell: {categorical: [gru, lstn]}}}
            """)
        #expect(badKind.contains("lstn"), "\(badKind)")
    }
}

@Suite struct NetworkBuildCheckTests {
    /// With the data's shape declared, a layer that refuses its input at some setting is a
    /// study error at load, located at the layers, naming the settings and the layer.
    @Test func networksThatCannotBuildAreRefusedAtLoad() throws {
        let folder = try StudyFolder()
        let text = """
            name: heads
            data: {path: data.csv, target: target, input_shape: [2, 1]}
            model:
              layers:
                - {dense: {units: "$width"}}
                - {transformer_encoder: {intermediate_dim: 8, num_heads: "$heads"}}
                - global_average_pooling1d
                - {dense: {units: 2, activation: softmax}}
              loss: sparse_categorical_crossentropy
            search: {parameters: {width: {choice: [8, 12]}, heads: {choice: [HEADS]}}}
            """
        _ = try folder.parse(text.replacingOccurrences(of: "HEADS", with: "2, 4"))
        let message = folder.error(text.replacingOccurrences(of: "HEADS", with: "3, 4"))
        #expect(message.hasPrefix("study.yaml:5:"), "\(message)")
        #expect(message.contains("heads=3") && message.contains("the 8 features do not split into 3 heads"), "\(message)")
    }
}
