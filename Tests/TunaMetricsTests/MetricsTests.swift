import Foundation
import Testing
@testable import TunaMetrics

@Suite struct MetricsTests {
    @Test(arguments: ["multiclass", "binary"])
    func classificationMetricsEqualScikitLearn(case name: String) throws {
        let fixture = try MetricsFixture.load()
        let f = name == "binary" ? fixture.binary : fixture.multiclass
        let truth = f.yTrue, predicted = f.yPred, proba = f.proba
        #expect(ClassificationMetrics.argmax(proba) == predicted)
        #expect(close(ClassificationMetrics.accuracy(truth, predicted), f.accuracy))
        #expect(close(ClassificationMetrics.balancedAccuracy(truth, predicted), f.balancedAccuracy))
        for average in Average.allCases {
            let expected = f.expected(average), a = average.rawValue
            #expect(close(ClassificationMetrics.precision(truth, predicted, average: average), expected.precision), "\(a)")
            #expect(close(ClassificationMetrics.recall(truth, predicted, average: average), expected.recall), "\(a)")
            #expect(close(ClassificationMetrics.f1(truth, predicted, average: average), expected.f1), "\(a)")
        }
        #expect(ClassificationMetrics.confusionMatrix(truth, predicted) == f.confusionMatrix)
        #expect(close(try ProbabilityMetrics.rocAUC(truth, probabilities: proba), f.rocAuc))
        #expect(close(try ProbabilityMetrics.logLoss(truth, probabilities: proba), f.logLoss))
        #expect(EvaluationReport.classification(truth, predicted) == f.report)
        let names = (0..<4).map { "class \($0)" }
        #expect(EvaluationReport.classification(truth, predicted, classNames: names, digits: 3) == f.reportNamed)
    }

    @Test func rocAUCCountsTiesAsHalf() throws {
        let f = try MetricsFixture.load().binary
        let truth = try #require(f.tiedTrue).map { $0 == 1 }
        #expect(close(try ProbabilityMetrics.rocAUC(truth, scores: try #require(f.tiedScores)), try #require(f.tiedRocAuc)))
        #expect(throws: MetricError("ROC-AUC is undefined when only one class is present in the true labels")) {
            try ProbabilityMetrics.rocAUC([true, true], scores: [0.1, 0.2])
        }
    }

    @Test func regressionMetricsEqualScikitLearn() throws {
        let f = try MetricsFixture.load().regression
        let truth = f.yTrue, predicted = f.yPred
        #expect(close(RegressionMetrics.r2(truth, predicted), f.r2))
        #expect(close(RegressionMetrics.meanAbsoluteError(truth, predicted), f.mae))
        #expect(close(RegressionMetrics.meanSquaredError(truth, predicted), f.mse))
        #expect(close(RegressionMetrics.rootMeanSquaredError(truth, predicted), f.rmse))
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
