import Foundation
import Testing
@testable import TunaTensor

@Suite struct TensorTests {
    @Test func copyOnWriteKeepsValueSemantics() {
        let a = Tensor([1, 2, 3, 4], shape: [2, 2])
        var b = a
        b[0, 1] = 9
        #expect(a[0, 1] == 2)
        #expect(b[0, 1] == 9)
    }

    @Test func reuseKeepsStorageWhenUniqueAndLargeEnough() {
        var t = Tensor(zeros: [4, 3])
        let before = t.storage.pointer
        t.reuse(shape: [2, 3])
        #expect(t.storage.pointer == before)
        #expect(t.shape == [2, 3])
        let alias = t
        t.reuse(shape: [1, 3])
        #expect(t.storage.pointer != alias.storage.pointer, "a shared buffer must not be overwritten")
    }

    @Test func matmulMatchesHandComputedProduct() {
        let a = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        let b = Tensor([7, 8, 9, 10, 11, 12], shape: [3, 2])
        #expect(Tensor.matmul(a, b).scalars == [58, 64, 139, 154])
        #expect(Tensor.matmul(a, a, transposeB: true).scalars == [14, 32, 32, 77])
        #expect(Tensor.matmul(a, a, transposeA: true).shape == [3, 3])
        #expect(Tensor.matmul(a, a, transposeA: true)[0, 0] == 17)
    }

    @Test func gatherRowsAndConcatenate() {
        let t = Tensor([0, 1, 10, 11, 20, 21], shape: [3, 2])
        #expect(t.gatherRows([2, 0]).scalars == [20, 21, 0, 1])
        #expect(t.rows(1..<3).scalars == [10, 11, 20, 21])
        #expect(Tensor.concatenateRows([t.rows(0..<1), t.rows(2..<3)]).scalars == [0, 1, 20, 21])
        #expect(t.reshaped([-1]).shape == [6])
    }

    @Test func seededGeneratorIsReproducibleAndUniform() {
        var g1 = SeededGenerator(seed: 42)
        var g2 = SeededGenerator(seed: 42)
        let a = (0..<100).map { _ in g1.next() }
        let b = (0..<100).map { _ in g2.next() }
        #expect(a == b)
        var g = SeededGenerator(seed: 7)
        let n = 100_000
        var sum = 0.0, sumSq = 0.0
        for _ in 0..<n { let z = g.nextNormal(); sum += z; sumSq += z * z }
        // Mean of n standard normals has sd 1/sqrt(n) ≈ 0.003; 5 sd bounds.
        #expect(abs(sum / Double(n)) < 0.016)
        #expect(abs(sumSq / Double(n) - 1) < 0.03)
        var u = 0.0
        for _ in 0..<n { u += Double(g.nextFloat()) }
        #expect(abs(u / Double(n) - 0.5) < 0.005)
    }
}

@Suite struct ApproximationKernelTests {
    /// The vectorised softmax, tanh and sigmoid against double-precision references.
    @Test func softmaxTanhAndSigmoidMatchDoublePrecision() {
        var g = SeededGenerator(seed: 4)
        let n = 37
        var rows = (0..<(3 * n)).map { _ in Float(g.nextNormal() * 30) }
        for j in 0..<n where j % 3 == 0 { rows[n + j] = -.infinity }      // masked keys
        for j in 0..<n { rows[2 * n + j] = -.infinity }                     // nothing to attend to
        let input = rows
        rows.withUnsafeMutableBufferPointer { VectorLoops.softmaxRows($0.baseAddress!, rows: 3, columns: n) }
        for r in 0..<2 {
            let x = input[(r * n)..<((r + 1) * n)].map(Double.init)
            let m = x.max() ?? 0
            let e = x.map { $0 == -.infinity ? 0 : exp($0 - m) }
            let total = e.reduce(0, +)
            for j in 0..<n { #expect(abs(Double(rows[r * n + j]) - e[j] / total) < 1e-6, "row \(r) column \(j)") }
        }
        #expect(rows[(2 * n)...].allSatisfy { $0 == 0 })

        let z = (0..<2001).map { Float($0 - 1000) / 50 }   // [-20, 20]
        var t = [Float](repeating: 0, count: z.count), s = t
        z.withUnsafeBufferPointer { pz in
            t.withUnsafeMutableBufferPointer { VectorLoops.tanh(pz.baseAddress!, $0.baseAddress!, count: z.count) }
            s.withUnsafeMutableBufferPointer { VectorLoops.sigmoid(pz.baseAddress!, $0.baseAddress!, count: z.count) }
        }
        for i in z.indices {
            #expect(abs(Double(t[i]) - tanh(Double(z[i]))) < 1e-6)
            #expect(abs(Double(s[i]) - 1 / (1 + exp(-Double(z[i])))) < 1e-6)
        }
    }
}
