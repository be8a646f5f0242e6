/// Regression metrics with scikit-learn's definitions.
public enum RegressionMetrics {
    public static func meanAbsoluteError(_ truth: [Double], _ predicted: [Double]) -> Double {
        mean(zip(truth, predicted).map { abs($0 - $1) })
    }

    public static func meanSquaredError(_ truth: [Double], _ predicted: [Double]) -> Double {
        mean(zip(truth, predicted).map { ($0 - $1) * ($0 - $1) })
    }

    public static func rootMeanSquaredError(_ truth: [Double], _ predicted: [Double]) -> Double {
        meanSquaredError(truth, predicted).squareRoot()
    }

    /// The coefficient of determination. For a constant truth it is 1 when the predictions are
    /// exact and 0 otherwise (scikit-learn's `force_finite`), never NaN or -inf.
    public static func r2(_ truth: [Double], _ predicted: [Double]) -> Double {
        let m = mean(truth)
        let residual = zip(truth, predicted).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        let total = truth.reduce(0) { $0 + ($1 - m) * ($1 - m) }
        if total == 0 { return residual == 0 ? 1 : 0 }
        return 1 - residual / total
    }

    static func mean(_ values: [Double]) -> Double {
        values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)
    }
}
