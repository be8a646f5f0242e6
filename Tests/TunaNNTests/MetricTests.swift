import Testing
import TunaTensor
@testable import TunaNN

@Suite struct MetricTests {
    func result(_ name: String, loss: Loss, _ p: Tensor, _ t: Tensor) throws -> Double {
        var metric = try MetricName.make(name, loss: loss)
        // Two batches, to show the metric accumulates rather than averaging batch results.
        let half = p.shape[0] / 2
        metric.update(predictions: p.rows(0..<half), targets: t.rows(0..<half))
        metric.update(predictions: p.rows(half..<p.shape[0]), targets: t.rows(half..<t.shape[0]))
        return metric.result()
    }

    @Test func binaryMetricsMatchHandCounts() throws {
        let bce = Loss.binaryCrossentropy(fromLogits: false)
        let p = Tensor([0.9, 0.8, 0.3, 0.6, 0.1, 0.4], shape: [6, 1])
        let t = Tensor([1, 0, 1, 1, 0, 0], shape: [6, 1])
        // Thresholded at 0.5: predicted positive rows 0, 1, 3; TP = 2 (rows 0, 3), FP = 1, FN = 1 (row 2).
        #expect(try result("accuracy", loss: bce, p, t) == 4.0 / 6)
        #expect(try result("precision", loss: bce, p, t) == 2.0 / 3)
        #expect(try result("recall", loss: bce, p, t) == 2.0 / 3)
        // AUC: of the 9 (positive, negative) pairs, the positive scores higher in 6 (0.9: 3, 0.6: 2, 0.3: 1).
        // Positives 0.9, 0.3, 0.6; negatives 0.8, 0.1, 0.4.
        #expect(abs(try result("auc", loss: bce, p, t) - 6.0 / 9) < 1e-12)
        // From logits, the threshold is 0.
        let logits = Tensor([2, -1, 0.5, -3], shape: [4, 1]), labels = Tensor([1, 0, 0, 0], shape: [4, 1])
        #expect(try result("accuracy", loss: .binaryCrossentropy(fromLogits: true), logits, labels) == 0.75)
    }

    @Test func aucCountsTiesAsHalf() throws {
        let p = Tensor([0.5, 0.5, 0.5, 0.5], shape: [4, 1]), t = Tensor([1, 0, 1, 0], shape: [4, 1])
        #expect(try result("auc", loss: .binaryCrossentropy(fromLogits: false), p, t) == 0.5)
    }

    @Test func categoricalAccuracyFollowsTheLoss() throws {
        let p = Tensor([0.1, 0.7, 0.2, 0.5, 0.3, 0.2, 0.2, 0.2, 0.6, 0.3, 0.3, 0.4], shape: [4, 3])
        let sparse = Tensor([1, 1, 2, 0], shape: [4])
        #expect(try result("accuracy", loss: .sparseCategoricalCrossentropy(fromLogits: false), p, sparse) == 0.5)
        let oneHot = Tensor([0, 1, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0], shape: [4, 3])
        #expect(try result("accuracy", loss: .categoricalCrossentropy(fromLogits: false), p, oneHot) == 0.5)
    }

    @Test func regressionErrors() throws {
        let p = Tensor([1, 2, 3, 4], shape: [4, 1]), t = Tensor([1, 0, 3, 1], shape: [4, 1])
        #expect(try result("mae", loss: .meanSquaredError, p, t) == 5.0 / 4)
        #expect(try result("mse", loss: .meanSquaredError, p, t) == 13.0 / 4)
    }
}

@Suite struct InitializerTests {
    func moments(_ t: Tensor) -> (mean: Double, variance: Double, maxAbs: Float) {
        let values = t.scalars.map(Double.init)
        let mean = values.reduce(0, +) / Double(values.count)
        let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)
        return (mean, variance, t.scalars.map(abs).max() ?? 0)
    }

    /// Keras's variance-scaling rules on a 200 x 300 kernel (60,000 draws: the sample variance
    /// is within a few percent of the target).
    static let truncation = 0.87962566103423978
    static let cases: [(Initializer, variance: Double, bound: Double)] = [
        (.glorotUniform, 2.0 / 500, (6.0 / 500).squareRoot()),
        (.glorotNormal, 2.0 / 500, 2 * (2.0 / 500).squareRoot() / truncation),
        (.heUniform, 2.0 / 200, (6.0 / 200).squareRoot()),
        (.heNormal, 2.0 / 200, 2 * (2.0 / 200).squareRoot() / truncation),
        (.lecunNormal, 1.0 / 200, 2 * (1.0 / 200).squareRoot() / truncation),
    ]

    @Test(arguments: 0..<5)
    func varianceScaling(_ index: Int) {
        let (initializer, variance, bound) = Self.cases[index]
        var g = SeededGenerator(seed: 1)
        let (mean, sampleVariance, maxAbs) = moments(initializer.make(shape: [200, 300], generator: &g))
        #expect(abs(mean) < 0.01 * variance.squareRoot() * 10)
        #expect(abs(sampleVariance / variance - 1) < 0.03, "variance \(sampleVariance), expected \(variance)")
        #expect(Double(maxAbs) <= bound + 1e-6)
    }

    @Test func constantsAndOrthogonal() {
        var g = SeededGenerator(seed: 1)
        #expect(Initializer.zeros.make(shape: [3, 2], generator: &g).scalars.allSatisfy { $0 == 0 })
        #expect(Initializer.ones.make(shape: [3, 2], generator: &g).scalars.allSatisfy { $0 == 1 })
        let q = Initializer.orthogonal.make(shape: [6, 4], generator: &g)
        let gram = Tensor.matmul(q, q, transposeA: true)
        for i in 0..<4 { for j in 0..<4 { #expect(abs(gram[i, j] - (i == j ? 1 : 0)) < 1e-5) } }
    }
}
