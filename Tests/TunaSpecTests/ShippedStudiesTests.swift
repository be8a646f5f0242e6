import Foundation
import Testing
import TunaNN
import TunaSearch
import TunaTemplate
@testable import TunaSpec

/// Every study shipped in search-spaces/ parses, and for networks on data of a declared shape,
/// a few sampled configurations resolve to layer lists that build: a renamed setting or a
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
    }

    @Test(arguments: studies)
    func studyParsesAndItsNetworksBuild(_ file: String) throws {
        let study = try Study.loadChecked(path: Self.folder.appendingPathComponent(file).path)
        guard let model = try study.modelTemplate(), let inputShape = study.data?.inputShape else { return }
        for seed in 0..<4 {
            let params = try RandomSampler(seed: UInt64(seed)).ask(space: study.search.space)
            let plan = try model.resolve(params)
            let network = try Sequential(inputShape: inputShape, layers: plan.layers, seed: 0)
            #expect(network.isBuilt, "\(file) with \(params)")
        }
    }
}
