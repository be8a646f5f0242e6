import Foundation

/// A preprocessing step after fitting: only numbers and names learnt from a training part, so
/// it can be saved with a model and applied to new rows exactly as during training.
public enum FittedStep: Sendable, Hashable, Codable {
    /// Fill values per column.
    case impute(numeric: [String: Double], categorical: [String: String])
    /// Training-time row filter; a no-op on new data.
    case dropDuplicates
    case scale(Affine)
    case oneHot(CategoryCodes)
    case ordinal(CategoryCodes)
    case drop([String])
    /// Per-series z-normalisation over these columns (nothing learnt; see `RowNormalization`).
    case normalizeRows([String])

    /// `x' = (x - offset) / scale + shift` per column: every scaler in one form.
    public struct Affine: Sendable, Hashable, Codable {
        public var columns: [String]
        public var offsets: [Double]
        public var scales: [Double]
        public var shifts: [Double]

        public func forward(_ x: Double, _ k: Int) -> Double { (x - offsets[k]) / scales[k] + shifts[k] }
        public func inverse(_ y: Double, _ k: Int) -> Double { (y - shifts[k]) * scales[k] + offsets[k] }
    }

    /// The categories learnt per column (one-hot or ordinal).
    public struct CategoryCodes: Sendable, Hashable, Codable {
        public var columns: [String]
        public var categories: [[String]]
        /// One-hot: whether an unseen category is an error (else an all-zero row).
        public var unknownIsError: Bool
        /// Ordinal: the code of an unseen category.
        public var unknownValue: Double
    }

    /// Applies the step to `table` (never removes rows).
    func apply(to table: inout Table) throws {
        switch self {
        case .impute(let numeric, let categorical):
            for (name, fill) in numeric {
                let k = try position(of: name, in: table)
                guard var values = table.columns[k].numbers else {
                    throw DataError("column '\(name)' was numeric when the imputer was fitted, now it holds text", file: table.source)
                }
                for i in values.indices where values[i].isNaN { values[i] = fill }
                table.setColumn(at: k, .numeric(values))
            }
            for (name, fill) in categorical {
                let k = try position(of: name, in: table)
                let values = texts(table.columns[k])
                table.setColumn(at: k, .categorical(values.map { $0 ?? fill }))
            }
        case .dropDuplicates:
            break
        case .scale(let affine):
            for (j, name) in affine.columns.enumerated() {
                let k = try position(of: name, in: table)
                guard let values = table.columns[k].numbers else {
                    throw DataError("column '\(name)' holds categories and cannot be scaled", file: table.source)
                }
                table.setColumn(at: k, .numeric(values.map { affine.forward($0, j) }))
            }
        case .oneHot(let codes):
            for (j, name) in codes.columns.enumerated() {
                let k = try position(of: name, in: table)
                let values = texts(table.columns[k])
                let categories = codes.categories[j]
                var index: [String: Int] = [:]
                for (c, category) in categories.enumerated() { index[category] = c }
                var outputs = [[Double]](repeating: [Double](repeating: 0, count: values.count), count: categories.count)
                for (row, value) in values.enumerated() {
                    guard let value else { continue }  // missing: all zeros
                    if let c = index[value] {
                        outputs[c][row] = 1
                    } else if codes.unknownIsError {
                        throw DataError(
                            "category '\(value)' of column '\(name)' (row \(row + 1)) was not in the training data (known: \(categories.joined(separator: ", ")))",
                            file: table.source)
                    }
                }
                try table.replace(columnAt: k, with: categories.map { "\(name)=\($0)" }, outputs.map { .numeric($0) })
            }
        case .ordinal(let codes):
            for (j, name) in codes.columns.enumerated() {
                let k = try position(of: name, in: table)
                var index: [String: Double] = [:]
                for (c, category) in codes.categories[j].enumerated() { index[category] = Double(c) }
                let values = texts(table.columns[k]).map { value in value.map { index[$0] ?? codes.unknownValue } ?? .nan }
                table.setColumn(at: k, .numeric(values))
            }
        case .drop(let names):
            for name in names { table = try table.removing(column: name) }
        case .normalizeRows(let names):
            try RowNormalization.apply(columns: names, to: &table)
        }
    }

    /// A column's cells as category texts (numbers spelled as in the file: "2007", "1.5").
    func texts(_ column: Column) -> [String?] {
        switch column {
        case .categorical(let values): values
        case .numeric(let values): values.map { $0.isNaN ? nil : categoryText($0) }
        }
    }

    func position(of name: String, in table: Table) throws -> Int {
        guard let k = table.index(of: name) else {
            throw DataError("column '\(name)', which the pipeline was fitted with, is missing", file: table.source)
        }
        return k
    }
}

extension FittedStep {
    /// Fits one step description on the training table as it stands after the earlier steps.
    /// `indicators` are the columns one-hot encoding made (left out of default scaling).
    static func fit(_ step: PreprocessStep, on table: Table, indicators: Set<String>) throws -> FittedStep? {
        switch step {
        case .impute(let settings):
            var numeric: [String: Double] = [:]
            var categorical: [String: String] = [:]
            for name in settings.columns ?? table.names {
                switch try table.column(named: name) {
                case .numeric(let values):
                    let fill: Double? = switch settings.numeric {
                    case .mean: Statistics.mean(values)
                    case .median: Statistics.median(values)
                    case .mostFrequent: Statistics.mostFrequent(values.filter { !$0.isNaN })
                    case .constant: settings.value
                    }
                    numeric[name] = fill ?? settings.value  // a column empty in training: the constant
                case .categorical(let values):
                    categorical[name] = settings.categorical == .constant
                        ? settings.category : Statistics.mostFrequent(values.compactMap { $0 }) ?? settings.category
                }
            }
            return .impute(numeric: numeric, categorical: categorical)
        case .dropDuplicates:
            return .dropDuplicates
        case .scale(let settings):
            let names = settings.columns
                ?? table.names.filter { table[$0]?.kind == .numeric && !indicators.contains($0) }
            return .scale(try affine(settings, columns: names, of: table))
        case .oneHot(let settings):
            return .oneHot(try codes(columns: settings.columns, declared: [:], of: table, unknownIsError: settings.unknown == .error, unknownValue: 0))
        case .ordinal(let settings):
            return .ordinal(try codes(columns: settings.columns, declared: settings.categories, of: table, unknownIsError: false, unknownValue: settings.unknownValue))
        case .drop(let names):
            for name in names { _ = try table.column(named: name) }
            return .drop(names)
        case .normalize(let settings):
            let names = settings.columns
                ?? table.names.filter { table[$0]?.kind == .numeric && !indicators.contains($0) }
            for name in names {
                guard try table.column(named: name).kind != .numeric else { continue }
                throw DataError("column '\(name)' holds categories and cannot be normalised per series; encode it first", file: table.source)
            }
            return .normalizeRows(names)
        case .scaleTarget, .augment:
            return nil  // handled by the pipeline itself
        }
    }

    static func affine(_ settings: Scaling, columns: [String], of table: Table) throws -> Affine {
        var result = Affine(columns: columns, offsets: [], scales: [], shifts: [])
        for name in columns {
            guard let values = try table.column(named: name).numbers else {
                throw DataError("column '\(name)' holds categories and cannot be scaled; encode it first", file: table.source)
            }
            let (offset, scale, shift) = affineParameters(settings, values)
            result.offsets.append(offset)
            result.scales.append(scale)
            result.shifts.append(shift)
        }
        return result
    }

    /// Offset, scale and shift for one column, with scikit-learn's rule that a constant column
    /// is left unscaled (a zero spread becomes 1) rather than divided by zero.
    static func affineParameters(_ settings: Scaling, _ values: [Double]) -> (Double, Double, Double) {
        func nonZero(_ x: Double) -> Double { x == 0 || !x.isFinite ? 1 : x }
        switch settings.method {
        case .standard:
            return (Statistics.mean(values) ?? 0, nonZero(Statistics.standardDeviation(values) ?? 1), 0)
        case .minMax:
            let present = values.filter { !$0.isNaN }
            let low = present.min() ?? 0
            let high = present.max() ?? 1
            let target = settings.range.count == 2 ? settings.range : [0, 1]
            return (low, nonZero(high - low) / (target[1] - target[0]), target[0])
        case .robust:
            let q1 = Statistics.quantile(values, 0.25) ?? 0
            let q3 = Statistics.quantile(values, 0.75) ?? 0
            return (Statistics.median(values) ?? 0, nonZero(q3 - q1), 0)
        case .divide:
            return (0, settings.divisor, 0)
        }
    }

    static func codes(columns: [String]?, declared: [String: [String]], of table: Table, unknownIsError: Bool, unknownValue: Double) throws -> CategoryCodes {
        let names = columns ?? table.names.filter { table[$0]?.kind == .categorical }
        var categories: [[String]] = []
        for name in names {
            let column = try table.column(named: name)
            if let order = declared[name] {
                categories.append(order)
            } else {
                let texts = FittedStep.drop([]).texts(column).compactMap { $0 }
                let distinct = Set(texts)
                categories.append(column.kind == .numeric
                    ? distinct.sorted { (NumberParser.parse($0) ?? 0) < (NumberParser.parse($1) ?? 0) }
                    : distinct.sorted())
            }
        }
        return CategoryCodes(columns: names, categories: categories, unknownIsError: unknownIsError, unknownValue: unknownValue)
    }
}
