import Foundation
import Testing
import TunaTensor
@testable import TunaData

@Suite struct CrossValidationTests {
    /// x = 0...19 in order, a regression target; unshuffled 2-fold splits the x range in halves,
    /// so each fold's training rows have a different mean and spread than all rows together.
    func trend() throws -> Dataset {
        let x = (0..<20).map(Double.init)
        let table = try Table(names: ["x", "y"], columns: [.numeric(x), .numeric(x.map { 3 * $0 + 1 })])
        return try Dataset(table: table, target: "y", task: .regression)
    }

    /// The "model": the mean of the scaled validation feature. It depends only on what the
    /// scaler learnt, which makes any leakage visible in the score.
    func score(_ fold: FoldData) -> FoldResult {
        FoldResult(metrics: ["mean_scaled_x": fold.validationFeatures.mean()])
    }

    @Test func scalerIsFittedPerFoldNotOnAllRows() throws {
        let dataset = try trend()
        let cv = CrossValidation(pipeline: Pipeline([.scale(Scaling(.standard))]), settings: CVSettings(kind: .kfold, folds: 2, shuffle: false))
        let result = try cv.run(dataset) { score($0) }
        // Fitted on the training half: validation half 0...9 against mean 14.5, sd of 10...19.
        let sdHalf = Statistics.standardDeviation((10..<20).map(Double.init)) ?? 0
        let perFold = [(4.5 - 14.5) / sdHalf, (14.5 - 4.5) / sdHalf]
        // Fitted on all rows (leakage): mean 9.5, sd of 0...19.
        let sdAll = Statistics.standardDeviation((0..<20).map(Double.init)) ?? 0
        let leaky = [(4.5 - 9.5) / sdAll, (14.5 - 9.5) / sdAll]
        let scores = result.folds.map { $0.metrics["mean_scaled_x"] ?? .nan }
        #expect(zip(scores, perFold).allSatisfy { close($0, $1, 1e-6) }, "\(scores)")
        #expect(zip(scores, leaky).allSatisfy { !close($0, $1, 1e-3) })
        #expect(close(result.mean["mean_scaled_x"] ?? .nan, 0, 1e-6))
    }

    @Test func imputationUsesTrainingRowsOnly() throws {
        let table = try Table(names: ["x", "y"], columns: [.numeric([1, 2, 3, .nan, 100, 200]), .numeric([0, 0, 0, 1, 1, 1])])
        let dataset = try Dataset(table: table, target: "y", task: .regression)
        let cv = CrossValidation(pipeline: Pipeline([.impute(Imputation(numeric: .mean))]), settings: CVSettings(kind: .kfold, folds: 2, shuffle: false))
        let fold = try cv.prepare(dataset, fold: Splits.kFold(count: 6, folds: 2)[1])
        // The missing x in the validation half gets the training half's mean (2), not 61.2.
        #expect(fold.validationFeatures.scalars == [2, 100, 200])
    }

    @Test func resultsCollectMeansDeviationsTimingsAndProgress() throws {
        let dataset = try trend()
        var seen: [Int] = []
        let cv = CrossValidation(settings: CVSettings(kind: .kfold, folds: 4, shuffle: true, seed: 3))
        let result = try cv.run(dataset, progress: { report, soFar in
            seen.append(report.fold)
            #expect(soFar.folds.count == seen.count)
            return .proceed
        }) { fold in
            FoldResult(metrics: ["score": Double(fold.fold), "rows": Double(fold.validationRows.count)], epochs: 3)
        }
        #expect(seen == [0, 1, 2, 3])
        #expect(result.mean["score"] == 1.5 && close(result.standardDeviation["score"] ?? 0, (1.25).squareRoot()))
        #expect(result.folds.allSatisfy { $0.seconds >= $0.preprocessingSeconds && $0.preprocessingSeconds >= 0 && $0.epochs == 3 })
        #expect(!result.stoppedEarly && result.folds.map(\.validationRows).reduce(0, +) == 20)
    }

    @Test func progressHookCanStopEarly() throws {
        let cv = CrossValidation(settings: CVSettings(kind: .kfold, folds: 5))
        var trained = 0
        let result = try cv.run(try trend(), progress: { report, _ in report.fold == 1 ? .stop : .proceed }) { _ in
            trained += 1
            return FoldResult(metrics: ["loss": 1])
        }
        #expect(trained == 2 && result.folds.count == 2 && result.stoppedEarly)
    }

    @Test func classWithFewerRowsThanFoldsFailsTheRun() throws {
        let table = try Table(names: ["x", "y"], columns: [.numeric((0..<12).map(Double.init)), .categorical(Array(repeating: "a", count: 10) + ["b", "b"])])
        let dataset = try Dataset(table: table, target: "y", task: .classification)
        let cv = CrossValidation(settings: CVSettings(folds: 3))
        #expect(message { _ = try cv.run(dataset) { _ in FoldResult(metrics: [:]) } }
            == "class 'b' has 2 rows, fewer than the 3 folds; use fewer folds or gather more rows")
    }

    @Test func closureErrorsPropagate() throws {
        struct Diverged: Error {}
        #expect(throws: Diverged.self) {
            _ = try CrossValidation().run(try trend()) { _ in throw Diverged() }
        }
    }

    /// Penguins through stratified 5-fold CV with the study file's pipeline and a
    /// nearest-centroid classifier standing in for the network (which lives in TunaNN).
    @Test func penguinsCrossValidateThroughThePipeline() throws {
        let dataset = try Dataset.load(path: Fixture.dataset("penguins.csv"), target: "species", task: .classification)
        let pipeline = Pipeline([.impute(Imputation(numeric: .median)), .oneHot(OneHotEncoding(columns: ["island", "sex"])), .scale(Scaling(.standard))])
        let cv = CrossValidation(pipeline: pipeline, settings: CVSettings(folds: 5, seed: 11))
        let result = try cv.run(dataset) { fold in
            #expect(fold.trainFeatures.shape[1] == 10 && fold.trainFeatures.isFinite && fold.validationFeatures.isFinite)
            let labels = try #require(fold.trainTargets.labels)
            let width = fold.trainFeatures.shape[1]
            let x = fold.trainFeatures.scalars
            var centroids = [[Double]](repeating: [Double](repeating: 0, count: width), count: 3)
            var counts = [Double](repeating: 0, count: 3)
            for (r, label) in labels.enumerated() {
                counts[label] += 1
                for c in 0..<width { centroids[label][c] += Double(x[r * width + c]) }
            }
            for k in 0..<3 { centroids[k] = centroids[k].map { $0 / counts[k] } }
            let v = fold.validationFeatures.scalars
            let rows = fold.validationFeatures.shape[0]
            let predicted = (0..<rows).map { r in
                (0..<3).min { a, b in
                    let da = (0..<width).reduce(0.0) { $0 + pow(Double(v[r * width + $1]) - centroids[a][$1], 2) }
                    let db = (0..<width).reduce(0.0) { $0 + pow(Double(v[r * width + $1]) - centroids[b][$1], 2) }
                    return da < db
                } ?? 0
            }
            let truth = try #require(fold.validationTargets.labels)
            return FoldResult(metrics: ["accuracy": ClassificationMetrics.accuracy(truth, predicted)])
        }
        #expect(result.folds.count == 5)
        #expect((result.mean["accuracy"] ?? 0) > 0.9)
    }
}
