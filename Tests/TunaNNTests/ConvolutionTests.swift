import Foundation
import Testing
import TunaTensor
@testable import TunaNN

/// Central differences with an input chosen by the test: max pooling needs inputs whose window
/// values are further apart than the step, or the winner flips and the numeric gradient is
/// meaningless. Same rules as `GradientCheck.check` otherwise.
enum ChosenInputCheck {
    /// Distinct values 0.05 apart (more than twice the 1e-2 step), in a seeded random order.
    static func distinct(_ shape: [Int], seed: UInt64) -> Tensor {
        var g = SeededGenerator(seed: seed)
        let n = shape.reduce(1, *)
        var order = Array(0..<n)
        for i in stride(from: n - 1, to: 0, by: -1) { order.swapAt(i, g.nextInt(below: i + 1)) }
        return Tensor(shape: shape) { Float(order[$0]) * 0.05 - Float(n) * 0.025 + 0.0123 }
    }

    static func check(
        _ layer: any Layer, input: Tensor, epsilon: Float = 1e-2, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        var generator = SeededGenerator(seed: 5)
        _ = try layer.build(inputShape: Array(input.shape.dropFirst()), generator: &generator)
        var x = input
        let y = try layer.forward(x, training: true)
        let r = GradientCheck.random(y.shape, seed: 9)
        let dx = try #require(try layer.backward(r, needsInputGradient: true))
        func objective() throws -> Double { GradientCheck.dot(try layer.forward(x, training: true), r) }
        for i in 0..<x.count {
            let saved = x[flat: i]
            x[flat: i] = saved + epsilon
            let plus = try objective()
            x[flat: i] = saved - epsilon
            let minus = try objective()
            x[flat: i] = saved
            let numeric = (plus - minus) / Double(2 * epsilon)
            #expect(GradientCheck.close(dx[flat: i], numeric),
                    "\(layer.name) input[\(i)]: analytic \(dx[flat: i]) numeric \(numeric)", sourceLocation: sourceLocation)
        }
    }
}

/// PyTorch's forward values (Fixtures/conv_reference.json, made by make_conv_fixtures.py).
struct ConvReference: Decodable {
    struct Case: Decodable {
        var name: String
        var filters: Int
        var padding: String
        var activation: String
        var useBias: Bool
        var inputShape: [Int]
        var input: [Float]
        var kernel: [Float]
        var bias: [Float]
        var outputShape: [Int]
        var output: [Float]
        // Conv2D stores pairs, Conv1D single numbers.
        var kernelSize: [Int]
        var strides: [Int]
        var dilationRate: [Int]

        enum CodingKeys: String, CodingKey {
            case name, filters, padding, activation, input, kernel, bias, output, strides
            case useBias = "use_bias", inputShape = "input_shape", outputShape = "output_shape"
            case kernelSize = "kernel_size", dilationRate = "dilation_rate"
        }

        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            func pair(_ key: CodingKeys) throws -> [Int] {
                if let one = try? c.decode(Int.self, forKey: key) { return [one] }
                return try c.decode([Int].self, forKey: key)
            }
            name = try c.decode(String.self, forKey: .name)
            filters = try c.decode(Int.self, forKey: .filters)
            padding = try c.decode(String.self, forKey: .padding)
            activation = try c.decode(String.self, forKey: .activation)
            useBias = try c.decode(Bool.self, forKey: .useBias)
            inputShape = try c.decode([Int].self, forKey: .inputShape)
            input = try c.decode([Float].self, forKey: .input)
            kernel = try c.decode([Float].self, forKey: .kernel)
            bias = try c.decode([Float].self, forKey: .bias)
            outputShape = try c.decode([Int].self, forKey: .outputShape)
            output = try c.decode([Float].self, forKey: .output)
            kernelSize = try pair(.kernelSize)
            strides = try pair(.strides)
            dilationRate = try pair(.dilationRate)
        }
    }

    var conv2d: [Case]
    var conv1d: [Case]

    static func load() throws -> ConvReference {
        let url = try #require(Bundle.module.url(forResource: "conv_reference", withExtension: "json", subdirectory: "Fixtures"))
        return try JSONDecoder().decode(ConvReference.self, from: Data(contentsOf: url))
    }

    /// Builds `layer`, loads the reference weights into it and compares its forward values.
    static func compare(_ layer: any Layer, _ reference: Case, sourceLocation: SourceLocation = #_sourceLocation) throws {
        var generator = SeededGenerator(seed: 0)
        let outputShape = try layer.build(inputShape: Array(reference.inputShape.dropFirst()), generator: &generator)
        #expect([reference.inputShape[0]] + outputShape == reference.outputShape, "\(reference.name): output shape", sourceLocation: sourceLocation)
        let parameters = layer.parameters
        try #require(parameters.count == (reference.useBias ? 2 : 1))
        #expect(parameters[0].value.count == reference.kernel.count, sourceLocation: sourceLocation)
        parameters[0].value = Tensor(reference.kernel, shape: parameters[0].value.shape)
        if reference.useBias { parameters[1].value = Tensor(reference.bias, shape: [reference.filters]) }
        let y = try layer.forward(Tensor(reference.input, shape: reference.inputShape), training: false)
        #expect(y.shape == reference.outputShape, "\(reference.name)", sourceLocation: sourceLocation)
        var worst: Float = 0
        for (a, b) in zip(y.scalars, reference.output) { worst = max(worst, abs(a - b) / (1 + abs(b))) }
        #expect(worst < 1e-5, "\(reference.name): largest relative difference \(worst)", sourceLocation: sourceLocation)
    }
}

/// The digits data set (8x8 images, 0-16 grey levels) from datasets/, parsed here as `(n, 8, 8, 1)`
/// images scaled to [0, 1] and integer labels.
enum Digits {
    static func load() throws -> (Tensor, Tensor) {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../datasets/digits.csv").standardized
        let text = try String(contentsOf: url, encoding: .utf8)
        var pixels: [Float] = [], labels: [Float] = []
        for line in text.split(whereSeparator: \.isNewline).dropFirst() {
            let fields = line.split(separator: ",").compactMap { Float($0) }
            guard fields.count == 65 else { continue }
            pixels += fields.prefix(64).map { $0 / 16 }
            labels.append(fields[64])
        }
        return (Tensor(pixels, shape: [labels.count, 8, 8, 1]), Tensor(labels, shape: [labels.count]))
    }
}

@Suite struct ConvolutionTests {
    // MARK: Forward values against PyTorch

    @Test func conv2DMatchesPyTorch() throws {
        let reference = try ConvReference.load()
        try #require(reference.conv2d.count >= 4)
        for item in reference.conv2d {
            let layer = Conv2D(.init(
                filters: item.filters, kernelSize: item.kernelSize, strides: item.strides,
                padding: try #require(Padding(rawValue: item.padding)), dilationRate: item.dilationRate,
                activation: try Activation(name: item.activation), useBias: item.useBias))
            try ConvReference.compare(layer, item)
        }
    }

    @Test func conv1DMatchesPyTorch() throws {
        let reference = try ConvReference.load()
        try #require(reference.conv1d.count >= 3)
        for item in reference.conv1d {
            let layer = Conv1D(.init(
                filters: item.filters, kernelSize: item.kernelSize[0], strides: item.strides[0],
                padding: try #require(Padding(rawValue: item.padding)), dilationRate: item.dilationRate[0],
                activation: try Activation(name: item.activation), useBias: item.useBias))
            try ConvReference.compare(layer, item)
        }
    }

    /// Hand-computed pooling values: 'same' average pooling divides by the real elements only.
    @Test func poolingValues() throws {
        var generator = SeededGenerator(seed: 0)
        let x = Tensor((1...9).map(Float.init), shape: [1, 3, 3, 1])
        let maxPool = MaxPooling2D(poolSize: 2, padding: .same)
        #expect(try maxPool.build(inputShape: [3, 3, 1], generator: &generator) == [2, 2, 1])
        #expect(try maxPool.forward(x, training: false).scalars == [5, 6, 8, 9])
        let average = AveragePooling2D(poolSize: 2, padding: .same)
        _ = try average.build(inputShape: [3, 3, 1], generator: &generator)
        #expect(try average.forward(x, training: false).scalars == [3, 4.5, 7.5, 9])
        let valid = AveragePooling2D(poolSize: 2, strides: 1)
        _ = try valid.build(inputShape: [3, 3, 1], generator: &generator)
        #expect(try valid.forward(x, training: false).scalars == [3, 4, 6, 7])
        let sequence = Tensor([1, -1, 4, -4, 2, -2, 3, -3, 5, -5], shape: [1, 5, 2])
        let pool1 = MaxPooling1D(poolSize: 2)
        #expect(try pool1.build(inputShape: [5, 2], generator: &generator) == [2, 2])
        #expect(try pool1.forward(sequence, training: false).scalars == [4, -1, 3, -2])
        let globalMax = GlobalMaxPooling1D()
        #expect(try globalMax.build(inputShape: [5, 2], generator: &generator) == [2])
        #expect(try globalMax.forward(sequence, training: false).scalars == [5, -1])
        let globalAverage = GlobalAveragePooling2D()
        _ = try globalAverage.build(inputShape: [3, 3, 1], generator: &generator)
        #expect(try globalAverage.forward(x, training: false).scalars == [5])
    }

    // MARK: Gradient checks

    static let conv2DConfigs: [Conv2D.Config] = [
        .init(filters: 4, kernelSize: [3, 3]),
        .init(filters: 3, kernelSize: [3, 2], strides: [2, 2], padding: .same, activation: .tanh),
        .init(filters: 2, kernelSize: [4, 4], strides: [2, 1], padding: .same),
        .init(filters: 3, kernelSize: [3, 3], padding: .same, dilationRate: [2, 2], activation: .sigmoid),
        .init(filters: 2, kernelSize: [2, 3], strides: [2, 2], dilationRate: [2, 1], useBias: false),
        .init(filters: 3, kernelSize: [1, 1], activation: .softmax),
    ]

    @Test(arguments: 0..<6)
    func conv2DGradients(_ index: Int) throws {
        let config = Self.conv2DConfigs[index]
        try GradientCheck.check(Conv2D(config), inputShape: [7, 5, 2], batch: 2, samples: 60)
    }

    static let conv1DConfigs: [Conv1D.Config] = [
        .init(filters: 4, kernelSize: 3),
        .init(filters: 3, kernelSize: 4, strides: 2, padding: .same, activation: .tanh),
        .init(filters: 2, kernelSize: 3, padding: .causal, dilationRate: 2),
        .init(filters: 3, kernelSize: 2, strides: 3, dilationRate: 2, activation: .sigmoid, useBias: false),
    ]

    @Test(arguments: 0..<4)
    func conv1DGradients(_ index: Int) throws {
        try GradientCheck.check(Conv1D(Self.conv1DConfigs[index]), inputShape: [9, 3], batch: 2, samples: 60)
    }

    @Test func maxPooling2DGradients() throws {
        try ChosenInputCheck.check(MaxPooling2D(poolSize: 2), input: ChosenInputCheck.distinct([2, 6, 5, 3], seed: 1))
        try ChosenInputCheck.check(MaxPooling2D(poolSize: 3, strides: 2, padding: .same), input: ChosenInputCheck.distinct([2, 7, 5, 2], seed: 2))
        try ChosenInputCheck.check(
            MaxPooling2D(.init(poolSize: [2, 3], strides: [1, 2])), input: ChosenInputCheck.distinct([1, 5, 7, 2], seed: 3))
    }

    @Test func maxPooling1DGradients() throws {
        try ChosenInputCheck.check(MaxPooling1D(poolSize: 2), input: ChosenInputCheck.distinct([2, 9, 3], seed: 4))
        try ChosenInputCheck.check(MaxPooling1D(poolSize: 3, strides: 2, padding: .same), input: ChosenInputCheck.distinct([2, 8, 2], seed: 5))
    }

    @Test func averagePoolingGradients() throws {
        try GradientCheck.check(AveragePooling2D(poolSize: 2), inputShape: [6, 5, 3], batch: 2)
        try GradientCheck.check(AveragePooling2D(poolSize: 3, strides: 2, padding: .same), inputShape: [7, 5, 2], batch: 2)
        try GradientCheck.check(AveragePooling2D(.init(poolSize: [2, 3], strides: [1, 2], padding: .same)), inputShape: [5, 7, 2])
        try GradientCheck.check(AveragePooling1D(poolSize: 2), inputShape: [9, 3], batch: 2)
        try GradientCheck.check(AveragePooling1D(poolSize: 3, strides: 2, padding: .same), inputShape: [8, 2], batch: 2)
    }

    @Test func globalPoolingGradients() throws {
        try GradientCheck.check(GlobalAveragePooling2D(), inputShape: [3, 5, 4], batch: 2)
        try GradientCheck.check(GlobalAveragePooling1D(), inputShape: [7, 3], batch: 2)
        try ChosenInputCheck.check(GlobalMaxPooling2D(), input: ChosenInputCheck.distinct([2, 3, 5, 4], seed: 6))
        try ChosenInputCheck.check(GlobalMaxPooling1D(), input: ChosenInputCheck.distinct([3, 7, 3], seed: 7))
    }

    /// Buffers are reused across steps, including when the last batch of an epoch is smaller.
    @Test func repeatedStepsWithChangingBatchSizesAgree() throws {
        let layer = Conv2D(3, kernelSize: 3, padding: .same, activation: .relu)
        var generator = SeededGenerator(seed: 1)
        _ = try layer.build(inputShape: [6, 6, 2], generator: &generator)
        let big = GradientCheck.random([4, 6, 6, 2], seed: 3)
        let small = big.rows(0..<1)
        let first = try layer.forward(big, training: true).rows(0..<1)
        let dxBig = try #require(try layer.backward(Tensor(repeating: 1, shape: [4, 6, 6, 3]), needsInputGradient: true)).rows(0..<1)
        let second = try layer.forward(small, training: true)
        let dxSmall = try #require(try layer.backward(Tensor(repeating: 1, shape: [1, 6, 6, 3]), needsInputGradient: true))
        func largestDifference(_ a: Tensor, _ b: Tensor) -> Float {
            zip(a.scalars, b.scalars).reduce(0) { max($0, abs($1.0 - $1.1)) }
        }
        #expect(first.shape == second.shape && largestDifference(first, second) < 1e-5)
        #expect(dxBig.shape == dxSmall.shape && largestDifference(dxBig, dxSmall) < 1e-5)
        let third = try layer.forward(big, training: false).rows(0..<1)
        #expect(largestDifference(third, first) < 1e-6)
    }

    // MARK: Bad input

    private func message(_ body: () throws -> Void) -> String {
        do {
            try body()
            return "no error"
        } catch {
            return String(describing: error)
        }
    }

    private func build(_ layer: any Layer, _ shape: [Int]) throws {
        var generator = SeededGenerator(seed: 0)
        _ = try layer.build(inputShape: shape, generator: &generator)
    }

    @Test func kernelLargerThanTheInputIsAnError() {
        let text = message { try build(Conv2D(4, kernelSize: 5, name: "c1"), [3, 4, 1]) }
        #expect(text.contains("layer 'c1'") && text.contains("kernel 5x5") && text.contains("input 3x4") && text.contains("'valid'"), "\(text)")
        let dilated = message { try build(Conv2D(2, kernelSize: 3, dilationRate: 2), [4, 8, 1]) }
        #expect(dilated.contains("'conv2d'") && dilated.contains("dilation 2x2") && dilated.contains("spanning 5x5") && dilated.contains("input 4x8"), "\(dilated)")
        let sequence = message { try build(Conv1D(2, kernelSize: 7), [5, 3]) }
        #expect(sequence.contains("'conv1d'") && sequence.contains("kernel 7 ") && sequence.contains("input 5 "), "\(sequence)")
        let pool = message { try build(MaxPooling2D(poolSize: 3), [2, 2, 1]) }
        #expect(pool.contains("'max_pooling2d'") && pool.contains("pool size 3x3") && pool.contains("input 2x2"), "\(pool)")
        // 'same' padding makes any kernel fit.
        #expect(message { try build(Conv2D(2, kernelSize: 5, padding: .same), [3, 3, 1]) } == "no error")
        #expect(throws: NNError.self) {
            _ = try Sequential(inputShape: [4, 4, 1], layers: [.conv2d(.init(filters: 2, kernelSize: [5, 5]))])
        }
    }

    @Test func wrongRankIsAnError() {
        let images = message { try build(Conv2D(2, kernelSize: 3), [8, 8]) }
        #expect(images.contains("'conv2d'") && images.contains("images of shape (height, width, channels)") && images.contains("[8, 8]"), "\(images)")
        let sequences = message { try build(Conv1D(2, kernelSize: 3), [8, 8, 1]) }
        #expect(sequences.contains("'conv1d'") && sequences.contains("sequences of shape (steps, channels)") && sequences.contains("[8, 8, 1]"), "\(sequences)")
        for layer: any Layer in [MaxPooling1D(), AveragePooling1D(), GlobalMaxPooling1D(), GlobalAveragePooling1D()] {
            let text = message { try build(layer, [4, 4, 2]) }
            #expect(text.contains("'\(layer.name)'") && text.contains("sequences") && text.contains("[4, 4, 2]"), "\(text)")
        }
        for layer: any Layer in [MaxPooling2D(), AveragePooling2D(), GlobalMaxPooling2D(), GlobalAveragePooling2D()] {
            let text = message { try build(layer, [16]) }
            #expect(text.contains("'\(layer.name)'") && text.contains("images") && text.contains("[16]"), "\(text)")
        }
        let batch = message {
            let layer = Conv1D(2, kernelSize: 3)
            try build(layer, [8, 2])
            _ = try layer.forward(Tensor(zeros: [16, 2]), training: false)
        }
        #expect(batch.contains("'conv1d'") && batch.contains("(batch, 8, 2)") && batch.contains("[16, 2]"), "\(batch)")
    }

    @Test func zeroLengthInputIsAnError() {
        let built = message { try build(Conv1D(2, kernelSize: 1), [0, 3]) }
        #expect(built.contains("'conv1d'") && built.contains("[0, 3]") && built.contains("empty axis"), "\(built)")
        let pooled = message { try build(GlobalAveragePooling1D(), [0, 3]) }
        #expect(pooled.contains("'global_average_pooling1d'") && pooled.contains("[0, 3]"), "\(pooled)")
        let images = message { try build(MaxPooling2D(), [4, 0, 1]) }
        #expect(images.contains("'max_pooling2d'") && images.contains("[4, 0, 1]"), "\(images)")
        let forward = message {
            let layer = Conv1D(2, kernelSize: 3, padding: .same)
            try build(layer, [8, 3])
            _ = try layer.forward(Tensor(zeros: [2, 0, 3]), training: true)
        }
        #expect(forward.contains("'conv1d'") && forward.contains("(batch, 8, 3)") && forward.contains("[2, 0, 3]"), "\(forward)")
    }

    /// A batch of no samples is not an error: every layer maps it to an empty batch both ways.
    @Test func emptyBatchPassesThrough() throws {
        let layers: [(any Layer, [Int])] = [
            (Conv2D(3, kernelSize: 3, padding: .same, activation: .relu), [5, 5, 2]), (Conv1D(2, kernelSize: 2), [6, 3]),
            (MaxPooling2D(), [4, 4, 2]), (AveragePooling1D(), [6, 3]), (GlobalMaxPooling2D(), [4, 4, 2]),
            (GlobalAveragePooling1D(), [6, 3]),
        ]
        for (layer, shape) in layers {
            try build(layer, shape)
            let y = try layer.forward(Tensor(zeros: [0] + shape), training: true)
            #expect(y.shape.first == 0 && y.count == 0, "\(layer.name): \(y.shape)")
            let dx = try #require(try layer.backward(y, needsInputGradient: true))
            #expect(dx.shape == [0] + shape, "\(layer.name): \(dx.shape)")
        }
    }

    @Test func mismatchedChannelsIsAnError() {
        let conv = message {
            let layer = Conv2D(4, kernelSize: 3, name: "rgb")
            try build(layer, [8, 8, 3])
            _ = try layer.forward(Tensor(zeros: [2, 8, 8, 1]), training: false)
        }
        #expect(conv.contains("layer 'rgb'") && conv.contains("built for 3 channels") && conv.contains("got 1 channels")
                && conv.contains("[2, 8, 8, 1]"), "\(conv)")
        let pool = message {
            let layer = GlobalMaxPooling1D()
            try build(layer, [5, 2])
            _ = try layer.forward(Tensor(zeros: [1, 5, 3]), training: false)
        }
        #expect(pool.contains("'global_max_pooling1d'") && pool.contains("built for 2 channels") && pool.contains("[1, 5, 3]"), "\(pool)")
        #expect(throws: NNError.self) {
            let model = try Sequential(inputShape: [8, 8, 3], seed: 0) {
                Conv2D(4, kernelSize: 3)
                GlobalAveragePooling2D()
            }
            _ = try model.predict(Tensor(zeros: [2, 8, 8, 1]))
        }
    }

    @Test func badSettingsAreErrors() {
        let filters = message { try build(Conv2D(0, kernelSize: 3), [8, 8, 1]) }
        #expect(filters.contains("filters must be positive"), "\(filters)")
        let strides = message { try build(Conv1D(2, kernelSize: 3, strides: 0), [8, 1]) }
        #expect(strides.contains("'conv1d'") && strides.contains("strides must be positive"), "\(strides)")
        let pair = message { try build(Conv2D(.init(filters: 2, kernelSize: [3, 3, 3])), [8, 8, 1]) }
        #expect(pair.contains("kernel_size must be one number or [height, width]"), "\(pair)")
        let causal = message { try build(Conv2D(2, kernelSize: 3, padding: .causal), [8, 8, 1]) }
        #expect(causal.contains("'causal' is for Conv1D"), "\(causal)")
        let backward = message {
            let layer = Conv2D(2, kernelSize: 3)
            try build(layer, [4, 4, 1])
            _ = try layer.backward(Tensor(zeros: [1, 2, 2, 2]), needsInputGradient: true)
        }
        #expect(backward.contains("without a training forward"), "\(backward)")
        let poolBackward = message {
            let layer = MaxPooling2D()
            try build(layer, [4, 4, 1])
            _ = try layer.forward(Tensor(zeros: [1, 4, 4, 1]), training: false)
            _ = try layer.backward(Tensor(zeros: [1, 2, 2, 1]), needsInputGradient: true)
        }
        #expect(poolBackward.contains("without a training forward"), "\(poolBackward)")
    }

    // MARK: Declarative layer list

    @Test func layerSpecJSONRoundTrip() throws {
        let json = """
        [
          {"conv2d": {"filters": 4, "kernel_size": 3, "padding": "same", "activation": "relu",
                      "kernel_initializer": "he_normal", "kernel_regularizer": {"l2": 0.001}}},
          {"conv2d": {"filters": 6, "kernel_size": [3, 2], "strides": [2, 1], "dilation_rate": 1, "use_bias": false}},
          {"max_pooling2d": 2},
          {"average_pooling2d": {"pool_size": [2, 1], "strides": 1, "padding": "same"}},
          {"batch_normalization": null},
          "global_average_pooling2d",
          {"dense": {"units": 3, "activation": "softmax"}}
        ]
        """
        let decoder = JSONDecoder(), encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let specs = try decoder.decode([LayerSpec].self, from: Data(json.utf8))
        #expect(specs.map(\.kind) == [
            "conv2d", "conv2d", "max_pooling2d", "average_pooling2d", "batch_normalization", "global_average_pooling2d", "dense",
        ])
        guard case .conv2d(let first) = specs[0], case .conv2d(let second) = specs[1] else {
            Issue.record("not conv2d: \(specs)")
            return
        }
        #expect(first.kernelSize == [3, 3] && first.padding == .same && first.kernelInitializer == .heNormal)
        #expect(second.strides == [2, 1] && !second.useBias)
        #expect(specs[2] == .maxPooling2d(.init(poolSize: [2, 2])))
        let model = try Sequential(inputShape: [12, 10, 1], layers: specs, seed: 1)
        #expect(try model.predict(Tensor(zeros: [2, 12, 10, 1])).shape == [2, 3])
        #expect(model.parameterCount == (9 * 4 + 4) + (6 * 4 * 6) + 4 * 6 + 6 * 3 + 3)
        let again = try decoder.decode([LayerSpec].self, from: encoder.encode(model.layerSpecs))
        #expect(again == specs)
        #expect(try encoder.encode(again) == encoder.encode(specs))

        let sequenceJSON = """
        [
          {"conv1d": {"filters": 8, "kernel_size": 5, "strides": 2, "padding": "causal", "dilation_rate": 1, "activation": "tanh"}},
          {"max_pooling1d": {"pool_size": 2, "padding": "same"}},
          {"average_pooling1d": 2},
          "max_pooling1d",
          {"global_max_pooling1d": {"name": "head"}},
          {"dense": {"units": 1}}
        ]
        """
        let sequenceSpecs = try decoder.decode([LayerSpec].self, from: Data(sequenceJSON.utf8))
        let sequenceModel = try Sequential(inputShape: [40, 2], layers: sequenceSpecs, seed: 1)
        #expect(try sequenceModel.predict(Tensor(zeros: [3, 40, 2])).shape == [3, 1])
        #expect(sequenceModel.layers.map(\.name).contains("head"))
        #expect(try decoder.decode([LayerSpec].self, from: encoder.encode(sequenceModel.layerSpecs)) == sequenceSpecs)
        for name in ["global_max_pooling2d", "global_average_pooling1d", "average_pooling2d", "average_pooling1d", "max_pooling2d"] {
            let spec = try decoder.decode(LayerSpec.self, from: Data("\"\(name)\"".utf8))
            #expect(spec.kind == name)
            #expect(try decoder.decode(LayerSpec.self, from: encoder.encode(spec)) == spec)
        }
    }

    @Test func layerSpecErrorsSuggestNames() {
        func decodeError(_ json: String) -> String {
            do {
                _ = try JSONDecoder().decode(LayerSpec.self, from: Data(json.utf8))
                return "no error"
            } catch {
                return String(describing: error)
            }
        }
        let key = decodeError(#"{"conv2d": {"filters": 2, "kernel_size": 3, "stride": 2}}"#)
        #expect(key.contains("unknown conv2d setting 'stride'") && key.contains("did you mean 'strides'?"), "\(key)")
        let padding = decodeError(#"{"conv1d": {"filters": 2, "kernel_size": 3, "padding": "sme"}}"#)
        #expect(padding.contains("unknown padding 'sme'") && padding.contains("did you mean 'same'?"), "\(padding)")
        let kind = decodeError(#"{"conv_2d": {"filters": 2, "kernel_size": 3}}"#)
        #expect(kind.contains("did you mean 'conv2d'?"), "\(kind)")
        let pool = decodeError(#"{"max_pooling2d": {"pool": 2}}"#)
        #expect(pool.contains("unknown pooling setting 'pool'"), "\(pool)")
        let triple = decodeError(#"{"conv2d": {"filters": 2, "kernel_size": [3, 3, 3]}}"#)
        #expect(triple.contains("kernel_size is one whole number or a [height, width] pair"), "\(triple)")
        let missing = decodeError(#"{"conv2d": {"filters": 2}}"#)
        #expect(missing.contains("kernel_size"), "\(missing)")
    }

    // MARK: End to end

    /// Conv2D(8, 3x3, relu) -> MaxPooling2D(2) -> Flatten -> Dense(10, softmax) on the digits,
    /// trained with Adam on 80% and scored on the held-out 20%.
    @Test func smallCNNLearnsTheDigits() throws {
        let (x, y) = try Digits.load()
        #expect(x.shape == [1797, 8, 8, 1])
        var g = SeededGenerator(seed: 42)
        var order = Array(0..<x.shape[0])
        for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, g.nextInt(below: i + 1)) }
        let cut = order.count * 4 / 5
        let train = Array(order[..<cut]), test = Array(order[cut...])
        let model = try Sequential(inputShape: [8, 8, 1], seed: 7) {
            Conv2D(8, kernelSize: 3, activation: .relu)
            MaxPooling2D(poolSize: 2)
            Flatten()
            Dense(10, activation: .softmax)
        }
        try model.compile(optimizer: Adam(learningRate: 0.01), loss: .sparseCategoricalCrossentropy(fromLogits: false), metrics: ["accuracy"])
        let history = try model.fit(x.gatherRows(train), y.gatherRows(train), epochs: 5, batchSize: 32)
        #expect(history.epochCount == 5)
        let logs = try model.evaluate(x.gatherRows(test), y.gatherRows(test))
        #expect(try #require(logs["accuracy"]) > 0.9, "held-out accuracy \(logs["accuracy"] ?? 0)")

        // The trained CNN travels through a model file (specs + weights) unchanged.
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tuna-cnn-\(UUID().uuidString).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try model.save(to: path)
        let loaded = try Sequential.load(from: path)
        #expect(loaded.layerSpecs == model.layerSpecs)
        let sample = x.gatherRows(Array(test.prefix(50)))
        #expect(try loaded.predict(sample) == model.predict(sample), "bit-identical predictions after loading")
    }
}

/// The cnn workload (W3) of ../shared/bench/README.md, for profiling the convolution engine:
/// run with `TUNA_CONV_BENCH=1 swift test --filter ConvolutionBenchmark`. Skipped otherwise,
/// because its timing means nothing on a machine busy with other builds.
@Suite struct ConvolutionBenchmark {
    @Test(.enabled(if: ProcessInfo.processInfo.environment["TUNA_CONV_BENCH"] != nil))
    func cnnWorkloadThroughput() throws {
        let rows = 10_000
        var g = SeededGenerator(seed: 1)
        let x = Tensor(shape: [rows, 28, 28, 1]) { _ in g.nextFloat() }
        let y = Tensor(shape: [rows]) { _ in Float(g.nextInt(below: 10)) }
        let model = try Sequential(inputShape: [28, 28, 1], seed: 0) {
            Conv2D(32, kernelSize: 3, activation: .relu)
            MaxPooling2D(poolSize: 2)
            Conv2D(64, kernelSize: 3, activation: .relu)
            MaxPooling2D(poolSize: 2)
            Flatten()
            Dense(128, activation: .relu)
            Dense(10, activation: .softmax)
        }
        try model.compile(optimizer: Adam(), loss: .sparseCategoricalCrossentropy(fromLogits: false))
        for replicas in [1, 2] {
            model.replicas = replicas
            let start = Date()
            _ = try model.fit(x, y, epochs: 1, batchSize: 64)
            let seconds = Date().timeIntervalSince(start)
            print("cnn workload: \(Int(Double(rows) / seconds)) samples/s (\(seconds) s, BLAS threads \(BLAS.threads), replicas \(replicas))")
        }
    }
}

extension ConvolutionBenchmark {
    @Test(.enabled(if: ProcessInfo.processInfo.environment["TUNA_CONV_BENCH"] != nil))
    func cnnLayerTimes() throws {
        var g = SeededGenerator(seed: 1)
        let layers: [any Layer] = [
            Conv2D(32, kernelSize: 3, activation: .relu), MaxPooling2D(poolSize: 2),
            Conv2D(64, kernelSize: 3, activation: .relu), MaxPooling2D(poolSize: 2),
        ]
        var shape = [28, 28, 1]
        var inputs: [Tensor] = []
        for layer in layers {
            inputs.append(Tensor(shape: [64] + shape) { _ in g.nextFloat() - 0.3 })
            shape = try layer.build(inputShape: shape, generator: &g)
        }
        for (layer, x) in zip(layers, inputs) {
            var forward = 0.0, backward = 0.0
            for _ in 0..<40 {
                let t0 = Date()
                let out = try layer.forward(x, training: true)
                let t1 = Date()
                _ = try layer.backward(Tensor(repeating: 0.1, shape: out.shape), needsInputGradient: true)
                let t2 = Date()
                forward += t1.timeIntervalSince(t0)
                backward += t2.timeIntervalSince(t1)
            }
            print("\(layer.name) \(x.shape): forward \(Int(forward / 40 * 1e6)) us, backward \(Int(backward / 40 * 1e6)) us per batch of 64")
        }
    }
}
