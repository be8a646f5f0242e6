import Foundation

/// Metrics on predicted probabilities: ROC-AUC and log loss, as scikit-learn computes them.
public enum ProbabilityMetrics {
    /// Binary ROC-AUC: the probability that a random positive row scores above a random
    /// negative one (ties count one half), computed from average ranks. This equals the area
    /// under the trapezoidal ROC curve that `roc_auc_score` integrates.
    public static func rocAUC(_ truth: [Bool], scores: [Double]) throws -> Double {
        guard truth.count == scores.count else {
            throw MetricError("\(truth.count) labels but \(scores.count) scores")
        }
        let positives = truth.reduce(0) { $0 + ($1 ? 1 : 0) }
        let negatives = truth.count - positives
        guard positives > 0, negatives > 0 else {
            throw MetricError("ROC-AUC is undefined when only one class is present in the true labels")
        }
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        var rankSum = 0.0
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && scores[order[j + 1]] == scores[order[i]] { j += 1 }
            let averageRank = Double(i + j + 2) / 2  // ranks are 1-based
            for k in i...j where truth[order[k]] { rankSum += averageRank }
            i = j + 1
        }
        let p = Double(positives)
        return (rankSum - p * (p + 1) / 2) / (p * Double(negatives))
    }

    /// ROC-AUC from class-probability rows: binary (two columns: the second is the positive
    /// class's score) or one-vs-rest with the unweighted mean over classes (`multi_class="ovr"`,
    /// `average="macro"`).
    public static func rocAUC(_ truth: [Int], probabilities: [[Double]]) throws -> Double {
        let classes = probabilities.first?.count ?? 0
        guard classes >= 2, probabilities.allSatisfy({ $0.count == classes }) else {
            throw MetricError("ROC-AUC needs rows of at least two class probabilities")
        }
        if classes == 2 { return try rocAUC(truth.map { $0 == 1 }, scores: probabilities.map { $0[1] }) }
        var sum = 0.0
        for c in 0..<classes {
            sum += try rocAUC(truth.map { $0 == c }, scores: probabilities.map { $0[c] })
        }
        return sum / Double(classes)
    }

    /// The mean negative log-likelihood of the true class. Probabilities are clipped to
    /// [eps, 1 - eps] (eps = Double's machine epsilon) and each row renormalised, as `log_loss`.
    public static func logLoss(_ truth: [Int], probabilities: [[Double]]) throws -> Double {
        guard truth.count == probabilities.count, !truth.isEmpty else {
            throw MetricError("\(truth.count) labels but \(probabilities.count) probability rows")
        }
        let eps = Double.ulpOfOne
        var total = 0.0
        for (label, row) in zip(truth, probabilities) {
            guard row.indices.contains(label) else {
                throw MetricError("label \(label) has no probability column (rows have \(row.count))")
            }
            let clipped = row.map { min(max($0, eps), 1 - eps) }
            let sum = clipped.reduce(0, +)
            total -= log(clipped[label] / sum)
        }
        return total / Double(truth.count)
    }
}
