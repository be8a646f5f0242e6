import Foundation
import Testing
import TunaData
import TunaNN
import TunaSpec
import TunaTemplate
@testable import TunaWorker

/// The study's `augment` step reaches the network: noise far larger than the pixels ruins
/// training, the same study without it learns, and geometric settings on non-images are refused.
@Suite struct AugmentationWiringTests {
    static let digits = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../datasets/digits.csv").standardized.path

    func accuracy(augment: String) throws -> Double {
        let text = """
            name: aug
            data: {path: \(Self.digits), target: target, task: classification, input_shape: [8, 8, 1]}
            preprocess: [{scale: {divide: 16}}\(augment)]
            model:
              layers: [flatten, {dense: {units: 32, activation: relu}}, {dense: {units: 10, activation: softmax}}]
              loss: sparse_categorical_crossentropy
              optimizer: {name: adam, learning_rate: 0.01}
              epochs: 4
              batch_size: 32
            search: {metric: accuracy, direction: maximize, folds: 2, parameters: {x: {float: [0, 1]}}}
            """
        let study = try Study.parseChecked(text: text, file: "aug.yaml")
        let data = try #require(study.data), model = try #require(try study.modelTemplate())
        let trial = NetworkTrial(study: study, data: data, plan: try model.resolve(["x": .double(0.5)]), seed: 1)
        return try trial.run(dataset: try DatasetCache().dataset(for: data), report: { _, _ in false }).value
    }

    @Test func augmentationLayersTrainInFrontOfTheNetwork() throws {
        let plain = try accuracy(augment: "")
        let geometric = try accuracy(augment: ", {augment: {rotation: 10, shift: 0.1, zoom: 0.1}}")
        let drowned = try accuracy(augment: ", {augment: {noise: 50}}")
        #expect(plain > 0.9, "\(plain)")
        #expect(geometric > 0.8, "mild geometric augmentation still learns: \(geometric)")
        #expect(drowned < 0.6, "noise 50x the pixel range must ruin training if it is applied: \(drowned)")
    }

    @Test func geometricAugmentationOfNonImagesIsAStudyError() throws {
        let text = """
            name: aug
            data: {path: \(Self.digits), target: target, task: classification, input_shape: [64]}
            preprocess: [{augment: {flip_horizontal: true}}]
            model: {layers: [{dense: {units: 10, activation: softmax}}], loss: sparse_categorical_crossentropy}
            search: {parameters: {x: {float: [0, 1]}}}
            """
        do {
            _ = try Study.parseChecked(text: text, file: "aug.yaml")
            Issue.record("accepted flips of 64-value rows")
        } catch {
            #expect("\(error)".hasPrefix("aug.yaml:3:"), "\(error)")
            #expect("\(error)".contains("apply to images (height, width, channels)"), "\(error)")
        }
        let specs = try Augmentation(flipHorizontal: true, rotation: 36, noise: 0.1).layerSpecs(inputShape: [8, 8, 1])
        #expect(specs.map(\.kind) == ["random_flip", "random_rotation", "gaussian_noise"])
        let rotation = specs[1]
        guard case .randomRotation(let config) = rotation else { Issue.record("not a rotation: \(rotation)"); return }
        #expect(abs(config.factor.upper - 0.1) < 1e-6, "degrees become fractions of a turn")
    }
}
