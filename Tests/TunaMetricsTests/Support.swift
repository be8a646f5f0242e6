import Foundation
import Testing
import TunaMetrics

/// scikit-learn's values for the same inputs (Tests/TunaDataTests/Fixtures/make_fixtures.py
/// writes them), decoded with their snake_case keys.
struct MetricsFixture: Decodable {
    struct Classification: Decodable {
        var yTrue: [Int]
        var yPred: [Int]
        var proba: [[Double]]
        var accuracy, balancedAccuracy, logLoss, rocAuc: Double
        var precisionMacro, precisionMicro, precisionWeighted: Double
        var recallMacro, recallMicro, recallWeighted: Double
        var f1Macro, f1Micro, f1Weighted: Double
        var confusionMatrix: [[Int]]
        var report, reportNamed: String
        /// A case with tied scores (binary only).
        var tiedTrue: [Int]?
        var tiedScores: [Double]?
        var tiedRocAuc: Double?

        func expected(_ average: Average) -> (precision: Double, recall: Double, f1: Double) {
            switch average {
            case .macro: (precisionMacro, recallMacro, f1Macro)
            case .micro: (precisionMicro, recallMicro, f1Micro)
            case .weighted: (precisionWeighted, recallWeighted, f1Weighted)
            }
        }
    }

    struct Regression: Decodable {
        var yTrue, yPred: [Double]
        var r2, mae, mse, rmse: Double
    }

    var multiclass, binary: Classification
    var regression: Regression

    static func load() throws -> MetricsFixture {
        let url = try #require(Bundle.module.url(forResource: "metrics", withExtension: "json", subdirectory: "Fixtures"))
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(MetricsFixture.self, from: Data(contentsOf: url))
    }
}

func close(_ a: Double, _ b: Double, _ tolerance: Double = 1e-9) -> Bool {
    abs(a - b) <= tolerance * max(1, abs(a), abs(b))
}
