/// How per-class scores are combined into one number.
public enum Average: String, Sendable, Hashable, Codable, CaseIterable {
    /// The unweighted mean over classes: every class counts the same, however rare.
    case macro
    /// Counts pooled over classes (equals accuracy for single-label problems).
    case micro
    /// The mean over classes weighted by their number of true rows.
    case weighted
}

/// Per-class precision, recall, F1 and support, in the order of `labels`.
public struct ClassScores: Sendable, Hashable {
    public var labels: [Int]
    public var precision: [Double]
    public var recall: [Double]
    public var f1: [Double]
    public var support: [Int]
}

/// Classification metrics with scikit-learn's definitions (the fixtures test equality).
///
/// Labels are class indices. Unless `labels` is given, the classes scored are the sorted union
/// of true and predicted labels, as scikit-learn's `unique_labels`. A ratio whose denominator is
/// zero (a class never predicted) counts as 0, scikit-learn's `zero_division` default.
public enum ClassificationMetrics {
    /// The share of rows predicted correctly.
    public static func accuracy(_ truth: [Int], _ predicted: [Int]) -> Double {
        guard !truth.isEmpty else { return 0 }
        return Double(zip(truth, predicted).reduce(0) { $0 + ($1.0 == $1.1 ? 1 : 0) }) / Double(truth.count)
    }

    /// The sorted union of the labels present in either list.
    public static func presentLabels(_ truth: [Int], _ predicted: [Int]) -> [Int] {
        Array(Set(truth).union(predicted)).sorted()
    }

    /// `matrix[i][j]` = rows of true class `labels[i]` predicted as `labels[j]`.
    public static func confusionMatrix(_ truth: [Int], _ predicted: [Int], labels: [Int]? = nil) -> [[Int]] {
        let labels = labels ?? presentLabels(truth, predicted)
        var position: [Int: Int] = [:]
        for (k, label) in labels.enumerated() { position[label] = k }
        var matrix = [[Int]](repeating: [Int](repeating: 0, count: labels.count), count: labels.count)
        for (t, p) in zip(truth, predicted) {
            if let i = position[t], let j = position[p] { matrix[i][j] += 1 }
        }
        return matrix
    }

    /// The mean recall over the classes that occur in `truth`, as `balanced_accuracy_score`.
    public static func balancedAccuracy(_ truth: [Int], _ predicted: [Int]) -> Double {
        let matrix = confusionMatrix(truth, predicted)
        var sum = 0.0
        var classes = 0
        for (i, row) in matrix.enumerated() {
            let total = row.reduce(0, +)
            guard total > 0 else { continue }
            sum += Double(row[i]) / Double(total)
            classes += 1
        }
        return classes == 0 ? 0 : sum / Double(classes)
    }

    /// Precision, recall, F1 and support per class.
    public static func perClass(_ truth: [Int], _ predicted: [Int], labels: [Int]? = nil) -> ClassScores {
        let labels = labels ?? presentLabels(truth, predicted)
        let (tp, predictedCount, trueCount) = counts(truth, predicted, labels)
        var scores = ClassScores(labels: labels, precision: [], recall: [], f1: [], support: trueCount)
        for k in labels.indices {
            scores.precision.append(ratio(tp[k], predictedCount[k]))
            scores.recall.append(ratio(tp[k], trueCount[k]))
            scores.f1.append(ratio(2 * tp[k], predictedCount[k] + trueCount[k]))
        }
        return scores
    }

    public static func precision(_ truth: [Int], _ predicted: [Int], average: Average, labels: [Int]? = nil) -> Double {
        combine(truth, predicted, average, labels) { tp, predictedCount, _ in ratio(tp, predictedCount) } perClass: { $0.precision }
    }

    public static func recall(_ truth: [Int], _ predicted: [Int], average: Average, labels: [Int]? = nil) -> Double {
        combine(truth, predicted, average, labels) { tp, _, trueCount in ratio(tp, trueCount) } perClass: { $0.recall }
    }

    public static func f1(_ truth: [Int], _ predicted: [Int], average: Average, labels: [Int]? = nil) -> Double {
        combine(truth, predicted, average, labels) { tp, predictedCount, trueCount in
            ratio(2 * tp, predictedCount + trueCount)
        } perClass: { $0.f1 }
    }

    /// Micro: the pooled-count formula; macro/weighted: the mean of the per-class values.
    static func combine(
        _ truth: [Int], _ predicted: [Int], _ average: Average, _ labels: [Int]?,
        pooled: (Int, Int, Int) -> Double, perClass pick: (ClassScores) -> [Double]
    ) -> Double {
        let labels = labels ?? presentLabels(truth, predicted)
        if average == .micro {
            let (tp, predictedCount, trueCount) = counts(truth, predicted, labels)
            return pooled(tp.reduce(0, +), predictedCount.reduce(0, +), trueCount.reduce(0, +))
        }
        let scores = perClass(truth, predicted, labels: labels)
        let values = pick(scores)
        guard !values.isEmpty else { return 0 }
        if average == .macro { return values.reduce(0, +) / Double(values.count) }
        let total = scores.support.reduce(0, +)
        guard total > 0 else { return 0 }
        return zip(values, scores.support).reduce(0) { $0 + $1.0 * Double($1.1) } / Double(total)
    }

    /// True positives, predicted counts and true counts per label.
    static func counts(_ truth: [Int], _ predicted: [Int], _ labels: [Int]) -> ([Int], [Int], [Int]) {
        var position: [Int: Int] = [:]
        for (k, label) in labels.enumerated() { position[label] = k }
        var tp = [Int](repeating: 0, count: labels.count)
        var predictedCount = tp
        var trueCount = tp
        for (t, p) in zip(truth, predicted) {
            if let i = position[t] { trueCount[i] += 1 }
            if let j = position[p] { predictedCount[j] += 1 }
            if t == p, let i = position[t] { tp[i] += 1 }
        }
        return (tp, predictedCount, trueCount)
    }

    static func ratio(_ numerator: Int, _ denominator: Int) -> Double {
        denominator == 0 ? 0 : Double(numerator) / Double(denominator)
    }

    /// The index of the largest probability in each row (the predicted class).
    public static func argmax(_ probabilities: [[Double]]) -> [Int] {
        probabilities.map { row in row.indices.max { row[$0] < row[$1] } ?? 0 }
    }
}
