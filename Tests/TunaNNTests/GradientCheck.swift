import Testing
import TunaTensor
@testable import TunaNN

/// Central-difference gradient checks. The engine is float32, so the loss is accumulated in
/// double precision, the step is 1e-2 scaled and inputs are kept away from kinks; the tolerance
/// is relative with a small absolute floor.
enum GradientCheck {
    static func random(_ shape: [Int], seed: UInt64, awayFromZero: Float = 0) -> Tensor {
        var g = SeededGenerator(seed: seed)
        return Tensor(shape: shape) { _ in
            var v = Float(g.nextNormal())
            if awayFromZero > 0 && abs(v) < awayFromZero { v = v < 0 ? v - awayFromZero : v + awayFromZero }
            return v
        }
    }

    static func dot(_ a: Tensor, _ b: Tensor) -> Double {
        a.withUnsafeBufferPointer { p in b.withUnsafeBufferPointer { q in
            zip(p, q).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        } }
    }

    static func close(_ analytic: Float, _ numeric: Double, tolerance: Double = 1e-2) -> Bool {
        abs(Double(analytic) - numeric) <= tolerance * (abs(Double(analytic)) + abs(numeric)) + 2e-3
    }

    /// Checks d(sum(r * layer(x)))/dx and /dparameters for up to `samples` entries each.
    static func check(
        _ layer: any Layer, inputShape: [Int], batch: Int = 3, seed: UInt64 = 1, epsilon: Float = 1e-2,
        awayFromZero: Float = 0.05, tolerance: Double = 1e-2, samples: Int = 40, mask: SequenceMask? = nil,
        input: Tensor? = nil, checksInput: Bool = true, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        var generator = SeededGenerator(seed: seed)
        _ = try layer.build(inputShape: inputShape, generator: &generator)
        var x = input ?? random([batch] + inputShape, seed: seed &+ 1, awayFromZero: awayFromZero)
        let y = try layer.forward(x, mask: mask, training: true)
        let r = random(y.shape, seed: seed &+ 2)
        let dx = try #require(try layer.backward(r, needsInputGradient: true))
        let parameterGradients = layer.parameters.map(\.gradient)
        func objective() throws -> Double { dot(try layer.forward(x, mask: mask, training: true), r) }

        let stride = Swift.max(1, x.count / samples)
        for i in Swift.stride(from: 0, to: checksInput ? x.count : 0, by: stride) {
            let saved = x[flat: i]
            x[flat: i] = saved + epsilon
            let plus = try objective()
            x[flat: i] = saved - epsilon
            let minus = try objective()
            x[flat: i] = saved
            let numeric = (plus - minus) / Double(2 * epsilon)
            #expect(close(dx[flat: i], numeric, tolerance: tolerance),
                    "\(layer.name) input[\(i)]: analytic \(dx[flat: i]) numeric \(numeric)", sourceLocation: sourceLocation)
        }
        for (p, parameter) in layer.parameters.enumerated() where parameter.trainable {
            let stride = Swift.max(1, parameter.value.count / samples)
            for i in Swift.stride(from: 0, to: parameter.value.count, by: stride) {
                let saved = parameter.value[flat: i]
                parameter.value[flat: i] = saved + epsilon
                let plus = try objective()
                parameter.value[flat: i] = saved - epsilon
                let minus = try objective()
                parameter.value[flat: i] = saved
                let numeric = (plus - minus) / Double(2 * epsilon)
                #expect(close(parameterGradients[p][flat: i], numeric, tolerance: tolerance),
                        "\(layer.name).\(parameter.name)[\(i)]: analytic \(parameterGradients[p][flat: i]) numeric \(numeric)",
                        sourceLocation: sourceLocation)
            }
        }
    }
}

@Suite struct LayerGradientTests {
    @Test(arguments: [Activation.linear, .relu, .leakyReLU(alpha: 0.2), .elu(alpha: 1), .sigmoid, .tanh, .softmax, .softplus, .swish, .gelu])
    func denseWithEachActivation(_ activation: Activation) throws {
        try GradientCheck.check(Dense(5, activation: activation), inputShape: [4])
    }

    @Test(arguments: [Activation.linear, .relu, .leakyReLU(alpha: 0.3), .elu(alpha: 0.7), .sigmoid, .tanh, .softmax, .softplus, .swish, .gelu])
    func activationLayer(_ activation: Activation) throws {
        try GradientCheck.check(ActivationLayer(activation), inputShape: [6], batch: 4, awayFromZero: 0.1)
    }

    @Test func denseOnSequencesActsOnTheLastAxis() throws {
        try GradientCheck.check(Dense(3, activation: .tanh), inputShape: [5, 4], batch: 2)
    }

    @Test func denseWithoutBias() throws {
        let layer = Dense(4, activation: .sigmoid, useBias: false)
        try GradientCheck.check(layer, inputShape: [3])
        #expect(layer.parameters.count == 1)
    }

    @Test func batchNormalization() throws {
        try GradientCheck.check(BatchNormalization(), inputShape: [5], batch: 6, awayFromZero: 0, tolerance: 2e-2)
    }

    @Test func flatten() throws {
        try GradientCheck.check(Flatten(), inputShape: [2, 3, 2], batch: 2)
    }

    @Test func dropoutGradientIsTheMaskOfItsForwardPass() throws {
        let layer = Dropout(0.4, seed: 3)
        var generator = SeededGenerator(seed: 0)
        _ = try layer.build(inputShape: [50], generator: &generator)
        let x = Tensor(repeating: 1, shape: [4, 50])
        let y = try layer.forward(x, training: true)
        let dx = try #require(try layer.backward(Tensor(repeating: 1, shape: [4, 50]), needsInputGradient: true))
        #expect(dx == y, "with x = 1 and upstream 1, dx equals the scaled mask the forward pass used")
        let kept = y.scalars.filter { $0 != 0 }
        #expect(kept.allSatisfy { abs($0 - 1 / 0.6) < 1e-6 })
        #expect((60...180).contains(kept.count), "about 60% of 200 kept, got \(kept.count)")
        #expect(try layer.forward(x, training: false) == x, "inference passes inputs through")
    }
}

@Suite struct LossGradientTests {
    static let cases: [(Loss, targets: [Float])] = [
        (.meanSquaredError, [0.5, -1, 2, 0.1, 0.3, -0.2]),
        (.meanAbsoluteError, [0.5, -1, 2, 0.1, 0.3, -0.2]),
        (.huber(delta: 1), [0.5, -1, 2.5, 0.1, 0.3, -2.2]),
        (.hinge, [1, 0, 1, 0, 0, 1]),
        (.squaredHinge, [1, -1, 1, -1, -1, 1]),
        (.binaryCrossentropy(fromLogits: true), [1, 0, 1, 0, 0, 1]),
        (.categoricalCrossentropy(fromLogits: true), [1, 0, 0, 0, 0, 1]),
        (.sparseCategoricalCrossentropy(fromLogits: true), [0, 2]),
    ]

    @Test(arguments: 0..<8)
    func lossGradient(_ index: Int) throws {
        let (loss, targetValues) = Self.cases[index]
        var predictions = Tensor([0.3, -0.7, 1.9, 0.45, -0.15, 0.8], shape: [2, 3])
        let targets = loss.usesSparseLabels ? Tensor(targetValues, shape: [2]) : Tensor(targetValues, shape: [2, 3])
        let weights: [Float] = [0.5, 2]
        var gradient = Tensor.empty
        _ = try weights.withUnsafeBufferPointer { w in
            try loss.compute(predictions: predictions, targets: targets, sampleWeights: w.baseAddress, gradient: &gradient)
        }
        let epsilon: Float = 1e-3
        for i in 0..<predictions.count {
            let saved = predictions[flat: i]
            func value() throws -> Double {
                var scratch = Tensor.empty
                return try weights.withUnsafeBufferPointer { w in
                    try loss.compute(predictions: predictions, targets: targets, sampleWeights: w.baseAddress, gradient: &scratch)
                }
            }
            predictions[flat: i] = saved + epsilon
            let plus = try value()
            predictions[flat: i] = saved - epsilon
            let minus = try value()
            predictions[flat: i] = saved
            let numeric = (plus - minus) / Double(2 * epsilon)
            #expect(GradientCheck.close(gradient[flat: i], numeric), "\(loss.name)[\(i)]: analytic \(gradient[flat: i]) numeric \(numeric)")
        }
    }

    /// Cross-entropy on probabilities, fused with the softmax or sigmoid before it, must give the
    /// gradient of the composed function with respect to the logits.
    @Test(arguments: [
        (Loss.categoricalCrossentropy(fromLogits: false), Activation.softmax),
        (.sparseCategoricalCrossentropy(fromLogits: false), .softmax),
        (.binaryCrossentropy(fromLogits: false), .sigmoid),
    ])
    func fusedGradientMatchesComposition(_ loss: Loss, _ activation: Activation) throws {
        var logits = Tensor([0.3, -0.7, 1.9, 0.45, -0.15, 0.8], shape: [2, 3])
        let targets = loss.usesSparseLabels ? Tensor([2, 0], shape: [2]) : Tensor([0, 0, 1, 1, 0, 0], shape: [2, 3])
        func probabilities(_ z: Tensor) -> Tensor {
            var out = z
            z.withUnsafeBufferPointer { p in out.withUnsafeMutableBufferPointer { q in
                activation.apply(p.baseAddress!, q.baseAddress!, count: 6, rowLength: 3)
            } }
            return out
        }
        var gradient = Tensor.empty
        _ = try loss.compute(predictions: probabilities(logits), targets: targets, gradient: &gradient, fused: true)
        for i in 0..<6 {
            var scratch = Tensor.empty
            let saved = logits[flat: i]
            logits[flat: i] = saved + 1e-3
            let plus = try loss.compute(predictions: probabilities(logits), targets: targets, gradient: &scratch)
            logits[flat: i] = saved - 1e-3
            let minus = try loss.compute(predictions: probabilities(logits), targets: targets, gradient: &scratch)
            logits[flat: i] = saved
            let numeric = (plus - minus) / 2e-3
            #expect(GradientCheck.close(gradient[flat: i], numeric), "\(loss.name)[\(i)]: fused \(gradient[flat: i]) numeric \(numeric)")
        }
    }

    @Test func probabilityLossesMatchTheirUnfusedGradient() throws {
        // Without fusion the gradient is with respect to the probabilities themselves.
        for loss in [Loss.binaryCrossentropy(fromLogits: false), .categoricalCrossentropy(fromLogits: false)] {
            var p = Tensor([0.2, 0.5, 0.3, 0.7, 0.1, 0.2], shape: [2, 3])
            let t = Tensor([0, 1, 0, 1, 0, 0], shape: [2, 3])
            var gradient = Tensor.empty
            _ = try loss.compute(predictions: p, targets: t, gradient: &gradient)
            for i in 0..<6 {
                var scratch = Tensor.empty
                let saved = p[flat: i]
                p[flat: i] = saved + 1e-3
                let plus = try loss.compute(predictions: p, targets: t, gradient: &scratch)
                p[flat: i] = saved - 1e-3
                let minus = try loss.compute(predictions: p, targets: t, gradient: &scratch)
                p[flat: i] = saved
                #expect(GradientCheck.close(gradient[flat: i], (plus - minus) / 2e-3), "\(loss.name)[\(i)]")
            }
        }
    }

    @Test func lossValuesMatchTheirFormulas() throws {
        var g = Tensor.empty
        let p = Tensor([0.9, 0.2], shape: [2, 1]), t = Tensor([1, 0], shape: [2, 1])
        let bce = try Loss.binaryCrossentropy(fromLogits: false).compute(predictions: p, targets: t, gradient: &g)
        #expect(abs(bce - (-(log(0.9) + log(0.8)) / 2)) < 1e-6)
        let mse = try Loss.meanSquaredError.compute(predictions: p, targets: t, gradient: &g)
        #expect(abs(mse - (0.01 + 0.04) / 2) < 1e-7)
        let huber = try Loss.huber(delta: 1).compute(predictions: Tensor([3], shape: [1, 1]), targets: Tensor([0], shape: [1, 1]), gradient: &g)
        #expect(abs(huber - 2.5) < 1e-6)
        let logits = try Loss.binaryCrossentropy(fromLogits: true).compute(
            predictions: Tensor([-200, 200], shape: [2, 1]), targets: Tensor([1, 0], shape: [2, 1]), gradient: &g)
        #expect(abs(logits - 200) < 1e-3, "stable for huge logits, got \(logits)")
    }

    @Test func sparseLabelOutOfRangeIsAnError() throws {
        var g = Tensor.empty
        #expect(throws: NNError.self) {
            try Loss.sparseCategoricalCrossentropy(fromLogits: false).compute(
                predictions: Tensor([0.5, 0.5], shape: [1, 2]), targets: Tensor([2], shape: [1]), gradient: &g)
        }
    }
}

import Foundation
