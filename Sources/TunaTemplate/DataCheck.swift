import Foundation
import TunaBase
import TunaData
import TunaSpec

extension Study {
    /// Reads the data file as a worker will and refuses what would fail every trial, each at the
    /// study-file line it is about: a target, feature, dropped, index or typed column that the
    /// header lacks; a file the loader refuses (ragged rows, text in a numeric column); an
    /// output layer that does not fit the classes; more folds than the smallest class (or the
    /// data) has rows; a categorical column that no step encodes; an `input_shape` that the
    /// preprocessed features do not fill. Returns what the data look like (a test file's rows
    /// only with `readsTestFile`).
    func checkData(_ data: DataSpec, plans: [TrainingPlan], readsTestFile: Bool) throws -> DataSummary {
        let root = self.root
        let dataNode = root?["data"]
        func fail(_ node: SpecNode?, _ message: String) -> Error {
            (node ?? dataNode)?.error(message) ?? SpecError(message, at: nil, file: file)
        }
        let isNPZ = data.path.lowercased().hasSuffix(".npz")
        if !isNPZ, let header = Self.csvHeader(path: data.path) {
            try checkHeader(header, data: data, dataNode: dataNode)
        }
        let dataset: Dataset
        do {
            dataset = try data.loadDataset()
        } catch let error as DataError {
            // A declared type the file contradicts is the declaration's line; the file's own
            // line and column are in the message.
            let typed = data.reading.columnTypes.keys.sorted().first { error.message.contains("column '\($0)'") }
            let at = typed.flatMap { ReadingOptions.node(naming: $0, in: dataNode) } ?? dataNode?["path"]
            throw fail(at, "the data file cannot be used: \(error)")
        } catch {
            throw fail(dataNode?["path"], "the data file cannot be used: \(error)")
        }
        try checkTargets(dataset, data: data, plans: plans, root: root)
        let split: (train: Dataset, test: Dataset?)
        do {
            split = try data.holdOut(dataset, seed: search.seed)
        } catch {
            throw fail(dataNode?["test"], "\(error)")
        }
        var testRows = split.test?.rowCount
        if readsTestFile, testRows == nil, case .file = data.test {
            do {
                testRows = try data.testDataset(after: split)?.rowCount
            } catch {
                throw fail(dataNode?["test"], "the test file cannot be used: \(error)")
            }
        }
        let width = try checkPreprocessing(split.train, data: data, root: root)
        return DataSummary(
            file: data.path, target: data.target, dataset: dataset, droppedColumns: data.reading.drop,
            indexColumn: data.reading.indexColumn, testRows: testRows, searchRows: split.train.rowCount,
            inputWidth: width)
    }

    /// Every column the data section names must be in the CSV header; only the header is read
    /// for this, so a misspelt name is reported at once, with the nearest one.
    func checkHeader(_ header: [String], data: DataSpec, dataNode: SpecNode?) throws {
        let names = Set(header)
        func missing(_ what: String, _ name: String, at node: SpecNode?) -> Error {
            var message = "the \(what) '\(name)' is not in the header of \(data.path)"
            if let near = nearestName(to: name, in: header) { message += " (did you mean '\(near)'?)" }
            message += "; columns: \(header.prefix(20).joined(separator: ", "))\(header.count > 20 ? ", ..." : "")"
            return (node ?? dataNode)?.error(message) ?? SpecError(message, at: nil, file: file)
        }
        if !names.contains(data.target) { throw missing("target column", data.target, at: dataNode?["target"]) }
        for name in data.features ?? [] where !names.contains(name) {
            throw missing("feature column", name, at: dataNode?["features"])
        }
        let reading = data.reading
        let named = [("dropped column", reading.drop), ("index column", reading.indexColumn.map { [$0] } ?? []),
                     ("typed column", reading.columnTypes.keys.sorted())]
        for (what, listed) in named {
            for name in listed where !names.contains(name) {
                throw missing(what, name, at: ReadingOptions.node(naming: name, in: dataNode))
            }
        }
    }

    /// Classes against folds and the output layer; rows against folds for regression.
    func checkTargets(_ dataset: Dataset, data: DataSpec, plans: [TrainingPlan], root: SpecNode?) throws {
        let dataNode = root?["data"]
        func fail(_ node: SpecNode?, _ message: String) -> Error {
            (node ?? dataNode)?.error(message) ?? SpecError(message, at: nil, file: file)
        }
        let foldsNode = root?["search"]?["folds"] ?? root?["search"]
        let layersNode = root?["model"]?["layers"] ?? root?["model"]
        if let labels = dataset.targets.labels, let names = dataset.targets.classNames {
            var counts = [Int](repeating: 0, count: names.count)
            for label in labels where label >= 0 && label < counts.count { counts[label] += 1 }
            if names.count < 2 {
                throw fail(dataNode?["target"], "the target column '\(data.target)' has \(names.count) class; classification needs at least 2")
            }
            if let smallest = counts.indices.min(by: { counts[$0] < counts[$1] }), counts[smallest] < search.folds {
                throw fail(foldsNode, "\(search.folds) folds but class '\(names[smallest])' has only \(counts[smallest]) rows; stratified cross-validation needs at least one per fold")
            }
            for plan in plans {
                if let problem = Self.outputProblem(plan, classes: names.count) { throw fail(layersNode, problem) }
            }
        } else {
            if dataset.rowCount < search.folds {
                throw fail(foldsNode, "\(search.folds) folds but the data have only \(dataset.rowCount) rows")
            }
            for plan in plans {
                if let problem = Self.outputProblem(plan, classes: nil) { throw fail(layersNode, problem) }
            }
        }
    }

    /// Fits the study's preprocessing on the search's rows, as a fold does, and checks what
    /// comes out: no column left holding categories (the network reads numbers), and as many
    /// values per example as `input_shape` holds. Returns that number.
    func checkPreprocessing(_ train: Dataset, data: DataSpec, root: SpecNode?) throws -> Int {
        let dataNode = root?["data"]
        let preprocessNode = root?["preprocess"]
        let fitted: FittedPipeline
        let transformed: Dataset
        do {
            let result = try pipeline().fit(train)
            fitted = result.0
            transformed = result.1
        } catch {
            let message = "preprocess cannot be fitted on the data: \(error)"
            throw (preprocessNode ?? dataNode)?.error(message) ?? SpecError(message, at: nil, file: file)
        }
        let table = transformed.features
        let unencoded = zip(table.names, table.columns).filter { $0.1.kind == .categorical }.map(\.0)
        if !unencoded.isEmpty {
            let list = unencoded.joined(separator: ", ")
            var message = "column\(unencoded.count == 1 ? "" : "s") \(unencoded.map { "'\($0)'" }.joined(separator: ", ")) of \(data.path) hold\(unencoded.count == 1 ? "s" : "") categories and no preprocessing step encodes \(unencoded.count == 1 ? "it" : "them"); add {onehot: [\(list)]} or {ordinal: [\(list)]} to preprocess, or leave \(unencoded.count == 1 ? "it" : "them") out with data.drop"
            if let hint = Self.missingMarkerHint(unencoded, in: train.features) { message += "; " + hint }
            throw (preprocessNode ?? dataNode)?.error(message) ?? SpecError(message, at: nil, file: file)
        }
        let width = fitted.outputWidth
        if let shape = train.inputShape {
            let size = shape.reduce(1) { $0.multipliedReportingOverflow(by: $1).partialValue }
            if size != width {
                let columns = table.names.count <= 8 ? " (\(table.names.joined(separator: ", ")))" : ""
                let message = "input_shape \(shape) holds \(size) values per example, but after preprocessing each example has \(width) value\(width == 1 ? "" : "s")\(columns), i.e. input_shape [\(width)]"
                let node = dataNode?["input_shape"] ?? dataNode?["path"]
                throw node?.error(message) ?? SpecError(message, at: nil, file: file)
            }
        }
        return width
    }

    /// A column that is mostly numbers with a few distinct texts is usually a numeric column
    /// with an undeclared missing-value marker ("-", "n/a"): say so, with the fix.
    static func missingMarkerHint(_ names: [String], in table: Table) -> String? {
        var markers: [String] = []
        var columns: [String] = []
        for name in names {
            guard let values = table[name]?.categories else { continue }
            let present = values.compactMap { $0 }
            let texts = Set(present.filter { Double($0.trimmingCharacters(in: .whitespaces)) == nil })
            let numbers = present.count - present.filter { texts.contains($0) }.count
            guard numbers > present.count / 2, (1...3).contains(texts.count) else { continue }
            columns.append(name)
            for text in texts.sorted() where !markers.contains(text) { markers.append(text) }
        }
        guard !columns.isEmpty else { return nil }
        let quoted = markers.map { "\"\($0)\"" }.joined(separator: ", ")
        return "\(columns.map { "'\($0)'" }.joined(separator: ", ")) \(columns.count == 1 ? "is" : "are") mostly numbers: if \(quoted) mark\(markers.count == 1 ? "s" : "") missing values, add data.na_values: [\(quoted)]"
    }
}
