import Foundation
import Testing
@testable import TunaData

@Suite struct MetricsTests {
    @Test(arguments: ["multiclass", "binary"])
    func classificationMetricsEqualScikitLearn(case name: String) throws {
        let f = try Fixture.json("metrics.json").dict(name)
        let truth = try f.ints("y_true")
        let predicted = try f.ints("y_pred")
        let proba = try f.matrix("proba")
        #expect(ClassificationMetrics.argmax(proba) == predicted)
        #expect(close(ClassificationMetrics.accuracy(truth, predicted), try f.double("accuracy")))
        #expect(close(ClassificationMetrics.balancedAccuracy(truth, predicted), try f.double("balanced_accuracy")))
        for average in Average.allCases {
            let a = average.rawValue
            #expect(close(ClassificationMetrics.precision(truth, predicted, average: average), try f.double("precision_\(a)")), "\(a)")
            #expect(close(ClassificationMetrics.recall(truth, predicted, average: average), try f.double("recall_\(a)")), "\(a)")
            #expect(close(ClassificationMetrics.f1(truth, predicted, average: average), try f.double("f1_\(a)")), "\(a)")
        }
        let matrix = try #require(f["confusion_matrix"] as? [[NSNumber]]).map { $0.map(\.intValue) }
        #expect(ClassificationMetrics.confusionMatrix(truth, predicted) == matrix)
        #expect(close(try ProbabilityMetrics.rocAUC(truth, probabilities: proba), try f.double("roc_auc")))
        #expect(close(try ProbabilityMetrics.logLoss(truth, probabilities: proba), try f.double("log_loss")))
        #expect(EvaluationReport.classification(truth, predicted) == (try f.string("report")))
        let names = (0..<4).map { "class \($0)" }
        #expect(EvaluationReport.classification(truth, predicted, classNames: names, digits: 3) == (try f.string("report_named")))
    }

    @Test func rocAUCCountsTiesAsHalf() throws {
        let f = try Fixture.json("metrics.json").dict("binary")
        let truth = try f.ints("tied_true").map { $0 == 1 }
        #expect(close(try ProbabilityMetrics.rocAUC(truth, scores: try f.doubles("tied_scores")), try f.double("tied_roc_auc")))
        #expect(message { _ = try ProbabilityMetrics.rocAUC([true, true], scores: [0.1, 0.2]) }?.contains("only one class") == true)
    }

    @Test func regressionMetricsEqualScikitLearn() throws {
        let f = try Fixture.json("metrics.json").dict("regression")
        let truth = try f.doubles("y_true")
        let predicted = try f.doubles("y_pred")
        #expect(close(RegressionMetrics.r2(truth, predicted), try f.double("r2")))
        #expect(close(RegressionMetrics.meanAbsoluteError(truth, predicted), try f.double("mae")))
        #expect(close(RegressionMetrics.meanSquaredError(truth, predicted), try f.double("mse")))
        #expect(close(RegressionMetrics.rootMeanSquaredError(truth, predicted), try f.double("rmse")))
        #expect(RegressionMetrics.r2([2, 2], [2, 2]) == 1 && RegressionMetrics.r2([2, 2], [1, 2]) == 0)
        let all = EvaluationReport.regressionMetrics(truth, predicted)
        #expect(Set(all.keys) == ["r2", "mae", "mse", "rmse"])
    }

    @Test func errorAnalysisRanksConfidentMistakesFirst() throws {
        let truth = [0, 1, 2, 1, 0]
        let proba: [[Double]] = [[0.9, 0.05, 0.05], [0.7, 0.2, 0.1], [0.1, 0.1, 0.8], [0.2, 0.3, 0.5], [0.4, 0.6, 0.0]]
        let mistakes = EvaluationReport.worstMistakes(truth, probabilities: proba, classNames: ["cat", "dog", "eel"], rows: [10, 11, 12, 13, 14])
        #expect(mistakes.map(\.row) == [11, 13, 14])
        #expect(mistakes.first == .init(row: 11, trueLabel: "dog", predictedLabel: "cat", trueProbability: 0.2, predictedProbability: 0.7))
        #expect(EvaluationReport.describe(mistakes).contains("dog             cat"))
        #expect(EvaluationReport.worstMistakes(truth, probabilities: proba, limit: 1).count == 1)
        let misses = EvaluationReport.worstPredictions([1, 2, 3], [1.5, 0, 3.1], limit: 2)
        #expect(misses.map(\.row) == [1, 0] && misses[0].absoluteError == 2)
        let metrics = EvaluationReport.classificationMetrics(truth, probabilities: proba)
        #expect(metrics["accuracy"] == 0.4 && metrics["roc_auc"] != nil && metrics["log_loss"] != nil)
    }
}
