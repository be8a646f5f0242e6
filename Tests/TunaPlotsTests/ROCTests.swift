import Testing
import TunaPlots

/// ROC points and areas against scikit-learn's `roc_curve` / `roc_auc_score` examples.
struct ROCTests {
    @Test func scikitLearnExample() {
        // sklearn: roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.75
        let curve = ROCCurve(name: "1", truth: [false, false, true, true], scores: [0.1, 0.4, 0.35, 0.8])
        #expect(curve.auc == 0.75)
        #expect(curve.points.map(\.fpr) == [0, 0, 0.5, 0.5, 1])
        #expect(curve.points.map(\.tpr) == [0, 0.5, 0.5, 1, 1])
    }

    @Test func tiesMoveTogetherAndOneClassHasNoCurve() {
        let tied = ROCCurve(name: "x", truth: [true, false], scores: [0.5, 0.5])
        #expect(tied.auc == 0.5)
        #expect(ROCCurve(name: "x", truth: [true, true], scores: [0.1, 0.9]).auc == nil)
    }

    @Test func confusionMatrixAndCurvesPerClass() {
        let q = ModelQuality(title: "t", classNames: ["a", "b", "c"], truth: [0, 1, 2, 2],
                             probabilities: [[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.1, 0.6, 0.3], [0.1, 0.1, 0.8]])
        #expect(q.confusion == [[1, 0, 0], [0, 1, 0], [0, 1, 1]])
        #expect(q.roc.count == 3)
        let svg = ModelPlots.confusion(q).svg
        #expect(svg.components(separatedBy: "class=\"mark\"").count - 1 == 9)
    }
}
