import Foundation
import Testing
import TunaData
import TunaNN
import TunaSearch
import TunaSpec
import TunaTemplate
@testable import TunaWorker

/// Every study shipped in search-spaces/ parses, and for every network study a few sampled
/// configurations build on the data as a worker prepares it (the file loaded and preprocessed
/// the same way, so a table's width after one-hot encoding counts): a renamed setting or a
/// layer that refuses its input shape fails here, not in a user's first run.
@Suite struct ShippedStudiesTests {
    static let folder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("search-spaces")

    static var studies: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
            .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
    }

    @Test func thereAreStudies() {
        #expect(Self.studies.count >= 9, "found \(Self.studies)")
        #expect(Self.studies.filter { $0.contains("mlp") }.count >= 4, "the MLP studies are among them: \(Self.studies)")
    }

    @Test(arguments: studies)
    func studyParsesAndItsNetworksBuild(_ file: String) throws {
        let study = try Study.loadChecked(path: Self.folder.appendingPathComponent(file).path)
        guard case .network = study.objective else { return }
        let data = try #require(study.data), model = try #require(try study.modelTemplate())
        let dataset = try DatasetCache().dataset(for: data)
        let validation = CrossValidation(
            pipeline: try study.pipeline(), settings: CVSettings(folds: 2, shuffle: true, seed: 0))
        var built = 0
        _ = try validation.run(dataset, progress: { _, _ in .stop }) { fold in
            for seed in 0..<4 {
                let params = try RandomSampler(seed: UInt64(seed)).ask(space: study.search.space)
                let network = try NetworkTrial.network(for: fold, plan: try model.resolve(params), seed: 0)
                #expect(network.isBuilt, "\(file) with \(params)")
                built += 1
            }
            return FoldResult(metrics: [:])
        }
        #expect(built == 4, "\(file): one fold, four configurations")
    }
}
