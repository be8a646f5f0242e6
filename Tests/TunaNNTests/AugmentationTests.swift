import Foundation
import Testing
import TunaTensor
@testable import TunaNN

@Suite struct AugmentationTests {
    /// A 1-channel image whose pixels are their own index: where each pixel went is readable.
    static func indexImage(height: Int, width: Int, batch: Int = 1) -> Tensor {
        Tensor(shape: [batch, height, width, 1]) { Float($0 % (height * width)) }
    }

    static func built<L: Layer>(_ layer: L, _ shape: [Int]) throws -> L {
        var g = SeededGenerator(seed: 1)
        _ = try layer.build(inputShape: shape, generator: &g)
        return layer
    }

    @Test func inferencePassesImagesThroughAndTrainingChangesThem() throws {
        let x = Self.indexImage(height: 5, width: 5, batch: 8)
        let layers: [any Layer] = [
            RandomFlip(.horizontal, seed: 1), RandomTranslation(heightFactor: 0.3, widthFactor: 0.3, seed: 1),
            RandomRotation(0.2, seed: 1), RandomZoom(0.3, seed: 1), GaussianNoise(0.5, seed: 1),
        ]
        for layer in layers {
            var g = SeededGenerator(seed: 0)
            _ = try layer.build(inputShape: [5, 5, 1], generator: &g)
            #expect(try layer.forward(x, training: false) == x, "\(layer.name) at inference")
            #expect(try layer.forward(x, training: true) != x, "\(layer.name) while training")
        }
        // The same seed draws the same transforms.
        let a = try Self.built(RandomRotation(0.2, seed: 7), [5, 5, 1]), b = try Self.built(RandomRotation(0.2, seed: 7), [5, 5, 1])
        #expect(try a.forward(x, training: true) == b.forward(x, training: true))
    }

    @Test func flipsReverseRowsAndColumnsExactly() throws {
        let x = Self.indexImage(height: 3, width: 4, batch: 64)
        let flip = try Self.built(RandomFlip(.horizontal, seed: 3), [3, 4, 1])
        let y = try flip.forward(x, training: true)
        var flipped = 0
        for b in 0..<64 {
            let mirrored = (0..<3).allSatisfy { r in (0..<4).allSatisfy { c in y[b, r, c, 0] == x[b, r, 3 - c, 0] } }
            let same = (0..<3).allSatisfy { r in (0..<4).allSatisfy { c in y[b, r, c, 0] == x[b, r, c, 0] } }
            #expect(mirrored || same)
            if mirrored { flipped += 1 }
        }
        #expect((16...48).contains(flipped), "about half flipped, got \(flipped) of 64")
    }

    @Test func translationByOnePixelShiftsAndFills() throws {
        let warp = ImageWarp(fill: WarpFill(fillMode: .constant, interpolation: .bilinear, fillValue: -1))
        _ = try warp.build(inputShape: [3, 3, 1], layer: "t")
        warp.prepare(batch: 1) { .transform(height: 3, width: 3, dy: 0, dx: 1) }
        let y = warp.forward(Self.indexImage(height: 3, width: 3))
        #expect(y.scalars == [-1, 0, 1, -1, 3, 4, -1, 6, 7])
        let nearest = ImageWarp(fill: WarpFill(fillMode: .nearest, interpolation: .bilinear))
        _ = try nearest.build(inputShape: [3, 3, 1], layer: "t")
        nearest.prepare(batch: 1) { .transform(height: 3, width: 3, dy: 1, dx: 0) }
        #expect(nearest.forward(Self.indexImage(height: 3, width: 3)).scalars == [0, 1, 2, 0, 1, 2, 3, 4, 5])
    }

    @Test func fillModesReadOutsideTheImageLikeKeras() throws {
        // One row 0 1 2 3 shifted right by 3: reflect gives 2 1 0 | 0, wrap 1 2 3 | 0, nearest 0 0 0 | 0.
        let x = Tensor([0, 1, 2, 3], shape: [1, 1, 4, 1])
        let expected: [FillMode: [Float]] = [.reflect: [2, 1, 0, 0], .wrap: [1, 2, 3, 0], .nearest: [0, 0, 0, 0], .constant: [0, 0, 0, 0]]
        for (mode, values) in expected {
            let warp = ImageWarp(fill: WarpFill(fillMode: mode))
            _ = try warp.build(inputShape: [1, 4, 1], layer: "f")
            warp.prepare(batch: 1) { .transform(height: 1, width: 4, dx: 3) }
            #expect(warp.forward(x).scalars == values, "\(mode)")
        }
    }

    @Test func aQuarterTurnRotatesCounterClockwise() throws {
        let warp = ImageWarp(fill: WarpFill())
        _ = try warp.build(inputShape: [3, 3, 1], layer: "r")
        warp.prepare(batch: 1) { .transform(height: 3, width: 3, angle: .pi / 2) }
        let y = warp.forward(Self.indexImage(height: 3, width: 3))
        // 0 1 2 / 3 4 5 / 6 7 8 turned a quarter counter-clockwise: 2 5 8 / 1 4 7 / 0 3 6.
        let expected: [Float] = [2, 5, 8, 1, 4, 7, 0, 3, 6]
        for (a, e) in zip(y.scalars, expected) { #expect(abs(a - e) < 1e-4, "\(y.scalars)") }
    }

    @Test func zoomFactorZeroIsTheIdentityAndHalfPixelsInterpolate() throws {
        let x = Self.indexImage(height: 4, width: 4)
        let zoom = ImageWarp(fill: WarpFill())
        _ = try zoom.build(inputShape: [4, 4, 1], layer: "z")
        zoom.prepare(batch: 1) { .transform(height: 4, width: 4, sy: 1, sx: 1) }
        #expect(zoom.forward(x) == x)
        let bilinear = ImageWarp(fill: WarpFill(fillMode: .nearest, interpolation: .bilinear))
        _ = try bilinear.build(inputShape: [1, 4, 1], layer: "b")
        bilinear.prepare(batch: 1) { .transform(height: 1, width: 4, dx: 0.5) }
        #expect(bilinear.forward(Tensor([0, 2, 4, 6], shape: [1, 1, 4, 1])).scalars == [0, 1, 3, 5])
        let nearest = ImageWarp(fill: WarpFill(fillMode: .nearest, interpolation: .nearest))
        _ = try nearest.build(inputShape: [1, 4, 1], layer: "n")
        nearest.prepare(batch: 1) { .transform(height: 1, width: 4, dx: 0.4) }
        #expect(nearest.forward(Tensor([0, 2, 4, 6], shape: [1, 1, 4, 1])).scalars == [0, 2, 4, 6])
    }

    /// With the draw frozen, the backward pass is the transpose of the sampling.
    @Test func gradientsThroughAFixedDraw() throws {
        let layers: [any Layer & WarpingLayer] = [
            RandomFlip(.horizontalAndVertical, seed: 2),
            RandomTranslation(heightFactor: 0.3, widthFactor: 0.3, fill: WarpFill(fillMode: .reflect), seed: 2),
            RandomRotation(0.1, fill: WarpFill(fillMode: .constant), seed: 2),
            RandomZoom(0.3, widthFactor: 0.2, fill: WarpFill(fillMode: .nearest), seed: 2),
        ]
        for layer in layers {
            layer.warp.freezesDraws = true
            try GradientCheck.check(layer, inputShape: [5, 4, 2], batch: 2, samples: 40)
        }
    }

    /// A real draw, frozen: every forward pass adds the same non-zero noise, and the gradient
    /// through it matches finite differences.
    @Test func gaussianNoiseGradientThroughAFixedDraw() throws {
        let noise = GaussianNoise(0.5, seed: 4)
        noise.freezesDraws = true
        var g = SeededGenerator(seed: 0)
        _ = try noise.build(inputShape: [3, 2], generator: &g)
        let x = GradientCheck.random([2, 3, 2], seed: 6)
        let first = try noise.forward(x, training: true)
        let added = zip(first.scalars, x.scalars).map { $0 - $1 }
        #expect(added.allSatisfy { $0 != 0 }, "stddev 0.5 adds noise to every element: \(added)")
        #expect(try noise.forward(x, training: true) == first, "the frozen draw is reused")
        let shifted = Tensor(shape: x.shape) { i in x[flat: i] + 1 }
        let moved = try noise.forward(shifted, training: true)
        let movedBy = zip(moved.scalars, shifted.scalars).map { $0 - $1 }
        #expect(zip(movedBy, added).allSatisfy { abs($0 - $1) < 1e-5 }, "the same noise whatever the input")
        try GradientCheck.check(noise, inputShape: [3, 2], batch: 2)
        noise.freezesDraws = false
        #expect(try noise.forward(x, training: true) != noise.forward(x, training: true), "unfrozen, each pass draws anew")
    }

    @Test func gaussianNoiseHasTheRequestedSpread() throws {
        let layer = try Self.built(GaussianNoise(0.3, seed: 5), [1000])
        let x = Tensor(repeating: 2, shape: [10, 1000])
        let noise = try layer.forward(x, training: true).scalars.map { Double($0 - 2) }
        let mean = noise.reduce(0, +) / Double(noise.count)
        let std = (noise.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(noise.count)).squareRoot()
        #expect(abs(mean) < 0.01 && abs(std - 0.3) < 0.01, "mean \(mean) std \(std)")
    }

    @Test func specsRoundTripAndBadSettingsAreErrors() throws {
        let json = #"""
        ["random_flip", {"random_flip": "horizontal"}, {"random_rotation": 0.1}, {"random_zoom": [-0.2, 0.1]},
         {"random_translation": {"height_factor": 0.1, "width_factor": [0, 0.2], "fill_mode": "constant", "fill_value": 0.5}},
         {"gaussian_noise": 0.1}, {"flatten": null}, {"dense": {"units": 2}}]
        """#
        let specs = try JSONDecoder().decode([LayerSpec].self, from: Data(json.utf8))
        let same = try JSONDecoder().decode([LayerSpec].self, from: JSONEncoder().encode(specs)) == specs
        #expect(same)
        let model = try Sequential(inputShape: [6, 6, 1], layers: specs, seed: 0)
        #expect(model.outputShape == [2])
        func message(_ body: () throws -> Void) -> String { do { try body(); return "ok" } catch { return "\(error)" } }
        #expect(message { _ = try Sequential(inputShape: [6, 6], seed: 0) { RandomFlip() } }.contains("needs images of shape (height, width, channels)"))
        #expect(message { _ = try Sequential(inputShape: [6, 6, 1], seed: 0) { RandomTranslation(heightFactor: 1.5, widthFactor: 0) } }
            .contains("height_factor must lie in [-1.0, 1.0]"))
        #expect(message { _ = try Sequential(inputShape: [6, 6, 1], seed: 0) { RandomZoom(1) } }.contains("height_factor must lie in"))
        #expect(message { _ = try Sequential(inputShape: [4], seed: 0) { GaussianNoise(-1) } }.contains("stddev must be a non-negative number"))
        func decodeError(_ text: String) -> String {
            do { _ = try JSONDecoder().decode([LayerSpec].self, from: Data(text.utf8)); return "ok" } catch { return "\(error)" }
        }
        #expect(decodeError(#"[{"random_rotation": {"factor": 0.1, "fill_mode": "mirror"}}]"#).contains("mirror"))
        #expect(decodeError(#"[{"random_zoom": {"height_factor": 0.1, "zoom": 2}}]"#).contains("zoom"))
    }
}
