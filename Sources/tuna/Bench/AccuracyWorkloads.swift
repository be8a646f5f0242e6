import Foundation
import TunaData
import TunaNN
import TunaTensor

/// Real-data workloads on which Tuna's test accuracy is compared with a PyTorch model of the
/// same architecture and training settings (bench/accuracy_reference.py builds the same ones:
/// keep the two in step). Each has a fixed train/test split both sides load from the same files.
struct AccuracyWorkload: Sendable {
    struct Split {
        var xTrain: Tensor, yTrain: Tensor, xTest: Tensor, yTest: Tensor
    }

    let id: String
    let summary: String
    let inputShape: [Int]
    let layers: [LayerSpec]
    let epochs: Int
    let batchSize: Int
    let learningRate: Float
    let load: @Sendable (_ folder: String) throws -> Split

    static let all: [AccuracyWorkload] = [digitsCNN, gunpointLSTM, gunpointGRU, basicMotionsTransformer]

    /// digits.csv (pixels 0-16 → /16, 8×8×1); every fifth row is the test set (360 of 1797).
    static let digitsCNN = AccuracyWorkload(
        id: "digits-cnn", summary: "Conv 16 3x3 same relu, MaxPool 2, Conv 32 3x3 same relu, MaxPool 2, Flatten, Dense 64 relu, Dense 10",
        inputShape: [8, 8, 1],
        layers: [
            .conv2d(.init(filters: 16, kernelSize: [3, 3], padding: .same, activation: .relu)),
            .maxPooling2d(.init(poolSize: [2, 2])),
            .conv2d(.init(filters: 32, kernelSize: [3, 3], padding: .same, activation: .relu)),
            .maxPooling2d(.init(poolSize: [2, 2])),
            .flatten,
            .dense(.init(units: 64, activation: .relu)),
            .dense(.init(units: 10)),
        ],
        epochs: 20, batchSize: 32, learningRate: 1e-3,
        load: { folder in
            let data = try Dataset.load(path: folder + "/digits.csv", target: "target", task: .classification)
            let x = try data.features.numericTensor(), y = data.targets.tensor()
            let rows = x.shape[0]
            let test = Array(stride(from: 0, to: rows, by: 5)), train = (0..<rows).filter { $0 % 5 != 0 }
            func images(_ indices: [Int]) -> Tensor {
                Tensor(shape: [indices.count, 8, 8, 1]) { i in x[indices[i / 64], i % 64] / 16 }
            }
            func labels(_ indices: [Int]) -> Tensor { Tensor(indices.map { y[flat: $0] }) }
            return Split(xTrain: images(train), yTrain: labels(train), xTest: images(test), yTest: labels(test))
        })

    /// GunPoint's own split (50 train / 150 test series of 150 steps, already z-normalised);
    /// an average pool of 3 in front shortens the series to 50 steps on both sides.
    static func gunpoint(_ id: String, cell: LayerSpec, name: String) -> AccuracyWorkload {
        AccuracyWorkload(
            id: id, summary: "AveragePool1D 3, \(name) 32 (last state), Dense 2", inputShape: [150, 1],
            layers: [.averagePooling1d(.init(poolSize: 3)), cell, .dense(.init(units: 2))],
            epochs: 60, batchSize: 10, learningRate: 3e-3,
            load: { folder in
                func part(_ file: String) throws -> (Tensor, Tensor) {
                    let data = try Dataset.load(path: folder + "/" + file, target: "target", task: .classification)
                    let x = try data.features.numericTensor()
                    // Classes "1"/"2" encode as 0/1 in both files (sorted names).
                    return (x.reshaped([x.shape[0], 150, 1]), data.targets.tensor())
                }
                let (xTrain, yTrain) = try part("gunpoint_train.csv"), (xTest, yTest) = try part("gunpoint_test.csv")
                return Split(xTrain: xTrain, yTrain: yTrain, xTest: xTest, yTest: yTest)
            })
    }

    static let gunpointLSTM = gunpoint("gunpoint-lstm", cell: .lstm(.init(units: 32)), name: "LSTM")
    static let gunpointGRU = gunpoint("gunpoint-gru", cell: .gru(.init(units: 32)), name: "GRU")

    /// BasicMotions' own split (40 / 40 recordings, 100 steps × 6 channels, 4 classes).
    static let basicMotionsTransformer = AccuracyWorkload(
        id: "basicmotions-transformer",
        summary: "Dense 32, learned positional embedding, TransformerEncoder (4 heads, ffn 64, post-norm), GlobalAveragePool, Dense 4",
        inputShape: [100, 6],
        layers: [
            .dense(.init(units: 32)),
            .positionalEmbedding(.init()),
            .transformerEncoder(.init(intermediateDim: 64, numHeads: 4)),
            .globalAveragePooling1d(.init()),
            .dense(.init(units: 4)),
        ],
        epochs: 40, batchSize: 8, learningRate: 1e-3,
        load: { folder in
            let arrays = try Numpy.loadNPZ(path: folder + "/basicmotions.npz")
            func array(_ key: String) throws -> NumpyArray {
                guard let a = arrays[key] else { throw ValidationErrorText("basicmotions.npz has no array '\(key)'") }
                return a
            }
            return Split(
                xTrain: try array("x_train").tensor(), yTrain: try array("y_train").tensor(),
                xTest: try array("x_test").tensor(), yTest: try array("y_test").tensor())
        })
}

struct ValidationErrorText: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
