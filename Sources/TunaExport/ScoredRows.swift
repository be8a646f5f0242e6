import Foundation
import TunaData
import TunaSpec
import TunaStore
import TunaTemplate

extension TrialExport {
    /// The study's held-out test rows, read as `retrain` reads them (the data bytes the
    /// database keeps, split with the study's seed); nil when the study holds none out.
    public static func testRows(store: any TrialStore, study name: String) throws -> Dataset? {
        guard let record = try store.study(named: name) else { throw ExportError("no study '\(name)' in the database") }
        let file: String
        if case .string(let path)? = record.settings["path"] { file = path } else { file = name + ".yaml" }
        let study = try Study.parseChecked(text: record.studyFile, file: file, checkFiles: false)
        guard let data = study.data else { return nil }
        let split = try data.holdOut(try loadDataset(store: store, record: record, data: data), seed: study.search.seed)
        return try data.testDataset(after: split)
    }
}

extension ModelBundle {
    /// A classifier's answers on labelled rows: the true class of each row (in the model's class
    /// order) and the probabilities it gave; what a confusion matrix and an ROC curve need.
    public func classified(_ table: Table) throws -> (classNames: [String], truth: [Int], probabilities: [[Double]]) {
        guard let classNames = info.classNames else {
            throw ExportError("the model predicts values (regression): it has no confusion matrix or ROC curve")
        }
        let (rows, truthColumn, _) = try labelledRows(table)
        let truth = try LabelEncoder(classes: classNames).encode(truthColumn, source: table.source)
        return (classNames, truth, try predict(rows).probabilities)
    }

    /// The same for a loaded data set (the study's test rows).
    public func classified(_ dataset: Dataset) throws -> (classNames: [String], truth: [Int], probabilities: [[Double]]) {
        let truth: Column = switch dataset.targets {
        case .classes(let labels, let names): .categorical(labels.map { names.indices.contains($0) ? names[$0] : nil })
        case .values(let values): .numeric(values)
        }
        let table = try Table(
            names: dataset.features.names + [info.target], columns: dataset.features.columns + [truth], source: dataset.features.source)
        return try classified(table)
    }
}
