import Foundation
import Testing
import TunaProtocol
import TunaSearch
import TunaSpec
import TunaTemplate
@testable import TunaWorker

/// A network trial of a study with several metrics reports one value per metric, its cost
/// metrics among them.
@Suite struct MultiObjectiveTrialTests {
    static let study = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("search-spaces/iris-mlp-pareto.yaml").path

    @Test func aNetworkTrialReportsAccuracyParametersAndInferenceTime() throws {
        var study = try Study.loadChecked(path: Self.study)
        study.search.objectives.append(ObjectiveMetric(name: "inference_ms", direction: .minimize))
        study.search.objectives.append(ObjectiveMetric(name: "model_size", direction: .minimize))
        study.search.folds = 2
        let params: Parameters = ["lr": .double(0.05), "layers": .int(1), "units": .int(4), "activation": .string("tanh")]
        let assignment = AssignMessage(
            trialID: 1, study: study.name, number: 0, attempt: 1, params: params,
            studyText: nil, studyFile: study.file, studyHash: study.hash)
        let result = try TrialExecutor().run(assignment, study: study, dataPath: try #require(study.data?.path), report: { _, _ in false })
        let values = try #require(result.values)
        #expect(values.count == 4)
        #expect(values[0] == result.value && (0...1).contains(values[0]), "accuracy first: \(values)")
        // 4 inputs → 4 tanh units → 3 classes: 4·4 + 4 + 4·3 + 3 weights, 4 bytes each.
        #expect(values[1] == 35 && values[3] == 140, "\(values)")
        #expect(values[2] > 0 && values[2] < 100, "milliseconds per example: \(values[2])")
    }

    @Test func aTrialMissingAMetricFailsNamingIt() throws {
        var study = try Study.loadChecked(path: Self.study)
        study.search.objectives.append(ObjectiveMetric(name: "latency", direction: .minimize))
        #expect(throws: TrialFailure(description: "missing 'latency' in the fold scores (the study's metrics: accuracy, parameters, latency; found: accuracy, parameters)")) {
            try TrialExecutor.objectiveValues(study, from: ["accuracy": 0.9, "parameters": 35], source: "the fold scores")
        }
    }
}
