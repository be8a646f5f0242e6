import Foundation
import TunaData
import TunaMetrics

/// A model scored on labelled rows with TunaMetrics (the scikit-learn-checked metrics).
public struct Evaluation: Sendable, Codable {
    public struct ClassScore: Sendable, Codable {
        public var name: String
        public var precision: Double
        public var recall: Double
        public var f1: Double
        public var support: Int
    }

    public var task: TunaData.Task
    public var rows: Int
    /// Rows left out because their target was blank.
    public var rowsWithoutTarget: Int
    /// accuracy, f1_macro, log_loss, roc_auc (two classes) … or r2, mae, mse, rmse.
    public var metrics: [String: Double]
    public var classes: [ClassScore]?
    /// Rows are true classes, columns predicted ones, in class order.
    public var confusionMatrix: [[Int]]?
    public var worstClassified: [EvaluationReport.Mistake]?
    public var worstPredicted: [EvaluationReport.RegressionMiss]?

    enum CodingKeys: String, CodingKey {
        case task, rows, rowsWithoutTarget = "rows_without_target", metrics, classes, confusionMatrix = "confusion_matrix"
        case worstClassified = "worst_classified", worstPredicted = "worst_predicted"
    }
}

extension ModelBundle {
    /// The rows of `table` that have a target value, that target column, and the kept rows'
    /// indices; an error when the column is missing or empty.
    func labelledRows(_ table: Table) throws -> (rows: Table, truth: Column, keep: [Int]) {
        guard let targetColumn = table[info.target] else {
            throw ExportError("the data have no target column '\(info.target)' to score against")
        }
        let keep: [Int] = switch targetColumn {
        case .numeric(let values): values.indices.filter { !values[$0].isNaN }
        case .categorical(let values): values.indices.filter { values[$0] != nil }
        }
        guard !keep.isEmpty else { throw ExportError("the target column '\(info.target)' has no values") }
        return (keep.count == table.rowCount ? table : table.selecting(rows: keep), targetColumn.selecting(keep), keep)
    }

    /// Predicts `table`'s rows and scores them against its target column. Row numbers in the
    /// worst-row lists count data rows from 1, as a spreadsheet shows them below the header.
    public func evaluate(_ table: Table, worst: Int = 10) throws -> Evaluation {
        let (rows, truthColumn, keep) = try labelledRows(table)
        let predictions = try predict(rows)
        let rowNumbers = keep.map { $0 + 1 }
        var evaluation = Evaluation(
            task: info.task, rows: keep.count, rowsWithoutTarget: table.rowCount - keep.count, metrics: [:])
        if let classNames = info.classNames {
            let truth = try LabelEncoder(classes: classNames).encode(truthColumn, source: table.source)
            let labels = Array(classNames.indices)
            var metrics = EvaluationReport.classificationMetrics(truth, probabilities: predictions.probabilities)
            // ROC-AUC is reported for two classes only, where it has one meaning.
            if classNames.count != 2 { metrics["roc_auc"] = nil }
            evaluation.metrics = metrics
            let scores = ClassificationMetrics.perClass(truth, predictions.labels, labels: labels)
            evaluation.classes = labels.map { k in
                Evaluation.ClassScore(
                    name: classNames[k], precision: scores.precision[k], recall: scores.recall[k], f1: scores.f1[k],
                    support: scores.support[k])
            }
            evaluation.confusionMatrix = ClassificationMetrics.confusionMatrix(truth, predictions.labels, labels: labels)
            evaluation.worstClassified = EvaluationReport.worstMistakes(
                truth, probabilities: predictions.probabilities, classNames: classNames, rows: rowNumbers, limit: worst)
        } else {
            guard let truth = truthColumn.numbers else {
                throw ExportError("the regression target '\(info.target)' holds text")
            }
            evaluation.metrics = EvaluationReport.regressionMetrics(truth, predictions.values)
            evaluation.worstPredicted = EvaluationReport.worstPredictions(truth, predictions.values, rows: rowNumbers, limit: worst)
        }
        return evaluation
    }
}

extension ModelBundle {
    /// Scores already-loaded rows (a held-out part of the data, or a test file read like it).
    public func testScore(_ dataset: Dataset, metric: String) throws -> TestScore {
        let truth: Column = switch dataset.targets {
        case .classes(let labels, let names): .categorical(labels.map { names.indices.contains($0) ? names[$0] : nil })
        case .values(let values): .numeric(values)
        }
        let table = try Table(
            names: dataset.features.names + [info.target], columns: dataset.features.columns + [truth], source: dataset.features.source)
        let evaluation = try evaluate(table, worst: 0)
        // The study's metric under the names an evaluation uses.
        let aliases = ["loss": info.classNames == nil ? "mse" : "log_loss", "auc": "roc_auc"]
        return TestScore(
            metric: metric, value: evaluation.metrics[metric] ?? aliases[metric].flatMap { evaluation.metrics[$0] },
            rows: evaluation.rows, metrics: evaluation.metrics)
    }
}
