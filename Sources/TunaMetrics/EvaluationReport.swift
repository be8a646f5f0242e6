import Foundation

/// Human-readable summaries of a model's predictions.
public enum EvaluationReport {
    /// The per-class table scikit-learn's `classification_report` prints, character for
    /// character (people compare the two side by side).
    public static func classification(_ truth: [Int], _ predicted: [Int], classNames: [String]? = nil, digits: Int = 2) -> String {
        let labels = ClassificationMetrics.presentLabels(truth, predicted)
        let names = labels.map { label in
            classNames.flatMap { $0.indices.contains(label) ? $0[label] : nil } ?? String(label)
        }
        let scores = ClassificationMetrics.perClass(truth, predicted, labels: labels)
        let width = max(names.map(\.count).max() ?? 0, "weighted avg".count, digits)
        func pad(_ text: String, _ size: Int) -> String { String(repeating: " ", count: max(0, size - text.count)) + text }
        func number(_ x: Double) -> String { pad(String(format: "%.\(digits)f", x), 9) }
        var report = pad("", width) + " " + ["precision", "recall", "f1-score", "support"].map { " " + pad($0, 9) }.joined()
        report += "\n\n"
        for (k, name) in names.enumerated() {
            report += pad(name, width) + " " + " " + number(scores.precision[k]) + " " + number(scores.recall[k])
                + " " + number(scores.f1[k]) + " " + pad(String(scores.support[k]), 9) + "\n"
        }
        report += "\n"
        let total = String(truth.count)
        let accuracy = ClassificationMetrics.accuracy(truth, predicted)
        report += pad("accuracy", width) + " " + " " + pad("", 9) + " " + pad("", 9) + " " + number(accuracy) + " " + pad(total, 9) + "\n"
        for average in [Average.macro, .weighted] {
            let p = ClassificationMetrics.precision(truth, predicted, average: average, labels: labels)
            let r = ClassificationMetrics.recall(truth, predicted, average: average, labels: labels)
            let f = ClassificationMetrics.f1(truth, predicted, average: average, labels: labels)
            report += pad("\(average.rawValue) avg", width) + " " + " " + number(p) + " " + number(r) + " " + number(f)
                + " " + pad(total, 9) + "\n"
        }
        return report
    }

    /// A misclassified row.
    public struct Mistake: Sendable, Hashable, Codable {
        /// The row's index in the data that was scored.
        public var row: Int
        public var trueLabel: String
        public var predictedLabel: String
        /// The probability the model gave the true class (lower is more wrong).
        public var trueProbability: Double
        /// The probability of the class it predicted instead.
        public var predictedProbability: Double
    }

    /// The misclassified rows the model was most confident about, worst first: ranked by the
    /// probability given to the true class, lowest first. These are where label noise, missing
    /// features or a systematic confusion show up.
    public static func worstMistakes(
        _ truth: [Int], probabilities: [[Double]], classNames: [String]? = nil, rows: [Int]? = nil, limit: Int = 10
    ) -> [Mistake] {
        func name(_ k: Int) -> String { classNames.flatMap { $0.indices.contains(k) ? $0[k] : nil } ?? String(k) }
        let predicted = ClassificationMetrics.argmax(probabilities)
        var mistakes: [Mistake] = []
        for i in truth.indices where i < probabilities.count && predicted[i] != truth[i] {
            let row = probabilities[i]
            mistakes.append(Mistake(
                row: rows.flatMap { $0.indices.contains(i) ? $0[i] : nil } ?? i,
                trueLabel: name(truth[i]), predictedLabel: name(predicted[i]),
                trueProbability: row.indices.contains(truth[i]) ? row[truth[i]] : 0,
                predictedProbability: row.indices.contains(predicted[i]) ? row[predicted[i]] : 0))
        }
        mistakes.sort { ($0.trueProbability, $0.row) < ($1.trueProbability, $1.row) }
        return Array(mistakes.prefix(max(0, limit)))
    }

    /// A regression row with a large error.
    public struct RegressionMiss: Sendable, Hashable, Codable {
        public var row: Int
        public var truth: Double
        public var predicted: Double
        public var absoluteError: Double
    }

    /// The rows with the largest absolute errors, worst first.
    public static func worstPredictions(_ truth: [Double], _ predicted: [Double], rows: [Int]? = nil, limit: Int = 10) -> [RegressionMiss] {
        let misses = zip(truth, predicted).enumerated().map { i, pair in
            RegressionMiss(
                row: rows.flatMap { $0.indices.contains(i) ? $0[i] : nil } ?? i,
                truth: pair.0, predicted: pair.1, absoluteError: abs(pair.0 - pair.1))
        }
        return Array(misses.sorted { ($0.absoluteError, -$0.row) > ($1.absoluteError, -$1.row) }.prefix(max(0, limit)))
    }

    /// A text table of mistakes, for logs and `tuna` output.
    public static func describe(_ mistakes: [Mistake]) -> String {
        var lines = ["   row  true            predicted       p(true)  p(predicted)"]
        for m in mistakes {
            lines.append(
                String(format: "%6d  ", m.row) + m.trueLabel.padding(toLength: 15, withPad: " ", startingAt: 0) + " "
                    + m.predictedLabel.padding(toLength: 15, withPad: " ", startingAt: 0)
                    + String(format: " %7.3f  %12.3f", m.trueProbability, m.predictedProbability))
        }
        return lines.joined(separator: "\n")
    }

    /// Every applicable metric at once: for classes, from probability rows; the names match the
    /// scikit-learn functions (`accuracy`, `f1_macro`, `roc_auc_ovr`, ...).
    public static func classificationMetrics(_ truth: [Int], probabilities: [[Double]]) -> [String: Double] {
        let predicted = ClassificationMetrics.argmax(probabilities)
        var metrics: [String: Double] = [
            "accuracy": ClassificationMetrics.accuracy(truth, predicted),
            "balanced_accuracy": ClassificationMetrics.balancedAccuracy(truth, predicted),
        ]
        for average in Average.allCases {
            metrics["precision_\(average.rawValue)"] = ClassificationMetrics.precision(truth, predicted, average: average)
            metrics["recall_\(average.rawValue)"] = ClassificationMetrics.recall(truth, predicted, average: average)
            metrics["f1_\(average.rawValue)"] = ClassificationMetrics.f1(truth, predicted, average: average)
        }
        if let loss = try? ProbabilityMetrics.logLoss(truth, probabilities: probabilities) { metrics["log_loss"] = loss }
        if let auc = try? ProbabilityMetrics.rocAUC(truth, probabilities: probabilities) { metrics["roc_auc"] = auc }
        return metrics
    }

    /// Per-row class probabilities from a network's outputs for `rows` rows: one column per
    /// class, or one sigmoid column for two classes (the probability of the second).
    public static func classProbabilities(_ outputs: [Double], rows: Int) -> [[Double]] {
        guard rows > 0 else { return [] }
        let width = outputs.count / rows
        return (0..<rows).map { row in
            if width == 1 {
                let p = min(max(outputs[row], 0), 1)
                return [1 - p, p]
            }
            return Array(outputs[(row * width)..<((row + 1) * width)])
        }
    }

    /// Every regression metric at once.
    public static func regressionMetrics(_ truth: [Double], _ predicted: [Double]) -> [String: Double] {
        [
            "r2": RegressionMetrics.r2(truth, predicted),
            "mae": RegressionMetrics.meanAbsoluteError(truth, predicted),
            "mse": RegressionMetrics.meanSquaredError(truth, predicted),
            "rmse": RegressionMetrics.rootMeanSquaredError(truth, predicted),
        ]
    }
}
