import Testing
import Foundation
import TunaRandom
@testable import TunaSearch

/// Matérn-5/2 correlation written from its textbook form, independent of the library's.
func matern(_ r: Double) -> Double { (1 + sqrt(5) * r + 5 * r * r / 3) * exp(-sqrt(5) * r) }

@Suite struct GaussianProcessTests {
    @Test func posteriorOnTwoPointsMatchesClosedForm() throws {
        let s = 2.0, noise = 0.01, ell = 0.5
        let hyper = GPHyperparameters(inverseSquaredLengthscales: [1 / (ell * ell)], signalVariance: s, noiseVariance: noise)
        let y = [1.0, -1.0]
        let gp = try GaussianProcess(x: [0, 0.5], y: y, dimensions: 1, categorical: [false], hyper: hyper)
        // K = [[a, b], [b, a]], K⁻¹ = [[a, −b], [−b, a]] / (a² − b²).
        let a = s + noise, b = s * matern(0.5 / ell), det = a * a - b * b
        for xs in [0.25, 0.1, 0.9, 0.0] {
            let k1 = s * matern(abs(xs - 0) / ell), k2 = s * matern(abs(xs - 0.5) / ell)
            let w1 = (a * k1 - b * k2) / det, w2 = (-b * k1 + a * k2) / det  // K⁻¹ k*
            let mean = w1 * y[0] + w2 * y[1]
            let variance = s - (k1 * w1 + k2 * w2)
            let p = gp.predict([xs])
            #expect(abs(p.mean - mean) < 1e-12)
            #expect(abs(p.variance - variance) < 1e-12)
        }
    }

    @Test func posteriorOnThreePointsWithARDMatchesClosedForm() throws {
        let w = [4.0, 0.25], s = 1.5, noise = 1e-3
        let hyper = GPHyperparameters(inverseSquaredLengthscales: w, signalVariance: s, noiseVariance: noise)
        let pts: [[Double]] = [[0.1, 0.2], [0.7, 0.4], [0.3, 0.9]]
        let y = [0.5, -1.0, 2.0]
        let gp = try GaussianProcess(x: pts.flatMap { $0 }, y: y, dimensions: 2, categorical: [false, false], hyper: hyper)
        func k(_ p: [Double], _ q: [Double]) -> Double {
            s * matern(sqrt(w[0] * pow(p[0] - q[0], 2) + w[1] * pow(p[1] - q[1], 2)))
        }
        var m = (0..<3).map { i in (0..<3).map { j in k(pts[i], pts[j]) + (i == j ? noise : 0) } }
        // Inverse by the adjugate: closed form for 3 × 3.
        let det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
            + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
        var inv = [[Double]](repeating: [0, 0, 0], count: 3)
        for i in 0..<3 { for j in 0..<3 {
            let r = [0, 1, 2].filter { $0 != j }, c = [0, 1, 2].filter { $0 != i }
            let minor = m[r[0]][c[0]] * m[r[1]][c[1]] - m[r[0]][c[1]] * m[r[1]][c[0]]
            inv[i][j] = ((i + j) % 2 == 0 ? 1 : -1) * minor / det
        } }
        m = inv
        let xs = [0.45, 0.55]
        let ks = pts.map { k(xs, $0) }
        let v = (0..<3).map { i in (0..<3).reduce(0.0) { $0 + m[i][$1] * ks[$1] } }
        let mean = (0..<3).reduce(0.0) { $0 + v[$1] * y[$1] }
        let variance = s - (0..<3).reduce(0.0) { $0 + v[$1] * ks[$1] }
        let p = gp.predict(xs)
        #expect(abs(p.mean - mean) < 1e-10)
        #expect(abs(p.variance - variance) < 1e-10)
        let batch = gp.predict(batch: xs + [0.1, 0.2], count: 2)
        #expect(abs(batch.mean[0] - mean) < 1e-10 && abs(batch.variance[0] - variance) < 1e-10)
        // At a training input the mean nearly interpolates and the variance is about the noise.
        #expect(abs(batch.mean[1] - 0.5) < 0.01 && batch.variance[1] < 2 * noise)
    }

    @Test func gradientsMatchFiniteDifferences() throws {
        var rng = SeededGenerator(seed: 11)
        let n = 8, d = 3
        let x = (0..<(n * d)).map { _ in rng.nextDouble() }
        let y = (0..<n).map { _ in rng.nextNormal() }
        let hyper = GPHyperparameters(inverseSquaredLengthscales: [3, 1, 10], signalVariance: 1.2, noiseVariance: 1e-4)
        let gp = try GaussianProcess(x: x, y: y, dimensions: d, categorical: [false, false, false], hyper: hyper)
        let p = [0.3, 0.6, 0.45]
        let g = gp.predictWithGradient(p)
        let (lei, dlei) = AcquisitionOptimizer.logEIWithGradient(gp, p, best: (y.min() ?? 0) - 0.5)
        let h = 1e-6
        for c in 0..<d {
            var a = p, b = p
            a[c] += h
            b[c] -= h
            let dm = (gp.predict(a).mean - gp.predict(b).mean) / (2 * h)
            let dv = (gp.predict(a).variance - gp.predict(b).variance) / (2 * h)
            #expect(abs(dm - g.dMean[c]) < 1e-5 * max(1, abs(dm)))
            #expect(abs(dv - g.dVariance[c]) < 1e-5 * max(1, abs(dv)))
            let best = (y.min() ?? 0) - 0.5
            let de = (AcquisitionOptimizer.logEI(gp, a, best: best) - AcquisitionOptimizer.logEI(gp, b, best: best)) / (2 * h)
            #expect(abs(de - dlei[c]) < 1e-4 * max(1, abs(de)))
        }
        #expect(lei.isFinite)
    }

    @Test func marginalLikelihoodGradientMatchesFiniteDifferences() {
        var rng = SeededGenerator(seed: 5)
        let n = 10, d = 2
        let x = (0..<(n * d)).map { _ in rng.nextDouble() }
        let y = (0..<n).map { i in sin(6 * x[i * d]) + 0.3 * x[i * d + 1] }
        let fitter = GPFitter()
        let dist = GPFitter.distanceMatrices(x: x, n: n, d: d, categorical: [false, false])
        let theta = [0.5, -0.3, 0.2, -5.0]
        let (_, g) = fitter.objective(theta, distances: dist, y: y)
        for i in 0..<theta.count {
            var a = theta, b = theta
            a[i] += 1e-5
            b[i] -= 1e-5
            let fd = (fitter.objective(a, distances: dist, y: y).0 - fitter.objective(b, distances: dist, y: y).0) / 2e-5
            #expect(abs(fd - g[i]) < 1e-4 * max(1, abs(fd)), "θ\(i): \(fd) vs \(g[i])")
        }
        // The fit improves the objective over its starting point.
        var r = SeededGenerator(seed: 1)
        let h = fitter.fit(x: x, y: y, d: d, categorical: [false, false], rng: &r)
        let fitted = [log(h.inverseSquaredLengthscales[0]), log(h.inverseSquaredLengthscales[1]),
                      log(h.signalVariance), log(h.noiseVariance - fitter.minimumNoise)]
        #expect(fitter.objective(fitted, distances: dist, y: y).0 < fitter.objective([0, 0, 0, log(1e-3)], distances: dist, y: y).0)
    }

    @Test func choleskyAddsJitterToNearlySingularMatrices() throws {
        // Two identical points and no noise: singular; the jitter makes it factorisable.
        let hyper = GPHyperparameters(inverseSquaredLengthscales: [1], signalVariance: 1, noiseVariance: 0)
        let gp = try GaussianProcess(x: [0.5, 0.5, 0.2], y: [1, 1, 0], dimensions: 1, categorical: [false], hyper: hyper)
        #expect(gp.cholesky.jitter > 0)
        #expect(gp.predict([0.5]).mean.isFinite)
    }
}

@Suite struct LogEITests {
    /// log EI from the textbook formula, fine wherever it does not underflow.
    func direct(_ mean: Double, _ sd: Double, _ best: Double) -> Double {
        let z = (best - mean) / sd
        let pdf = exp(-z * z / 2) / sqrt(2 * Double.pi)
        let cdf = 0.5 * erfc(-z / sqrt(2))
        return log(sd * (pdf + z * cdf))
    }

    /// Asymptotic expansion of log h(z) for z → −∞: φ(z)/z² (1 − 3/z² + 15/z⁴ − 105/z⁶ + 945/z⁸ − …).
    func asymptotic(_ z: Double) -> Double {
        let t2 = 1 / (z * z)
        let series = 1 - 3 * t2 + 15 * t2 * t2 - 105 * pow(t2, 3) + 945 * pow(t2, 4) - 10395 * pow(t2, 5)
        return -z * z / 2 - 0.5 * log(2 * Double.pi) - 2 * log(abs(z)) + log(series)
    }

    @Test func matchesTheFormulaAtOrdinaryPoints() {
        for (m, s, b) in [(0.3, 0.7, 0.5), (1.0, 0.2, 0.0), (-0.5, 2.0, 0.1), (0.0, 1.0, 0.0), (2.0, 0.5, 0.0), (3.5, 0.5, 0.0)] {
            let got = logExpectedImprovement(mean: m, sd: s, best: b)
            #expect(abs(got - direct(m, s, b)) < 1e-9 * max(1, abs(got)), "\(m) \(s) \(b)")
        }
        // z = −7: past the switch to the continued fraction; the direct formula still works there.
        let z7 = logExpectedImprovement(mean: 7, sd: 1, best: 0)
        #expect(abs(z7 - direct(7, 1, 0)) < 1e-8 * abs(z7))
    }

    @Test func staysAccurateFarInTheTail() {
        // z = −40: EI ≈ 1e−350 underflows to 0 in Double; its log does not.
        #expect(exp(direct(40, 1, 0)).isNaN || direct(40, 1, 0) == -.infinity || exp(direct(40, 1, 0)) == 0)
        for z in [-12.0, -40.0, -300.0, -1e4] {
            let got = NormalMath.logH(z)
            #expect(got.isFinite)
            #expect(abs(got - asymptotic(z)) < 1e-9 * abs(got), "z = \(z): \(got) vs \(asymptotic(z))")
        }
        #expect(abs(logExpectedImprovement(mean: 40, sd: 1, best: 0) - asymptotic(-40)) < 1e-9)
        #expect(abs(logExpectedImprovement(mean: 80, sd: 2, best: 0) - (log(2) + asymptotic(-40))) < 1e-9)
        // The derivative Φ(z)/h(z) agrees with a finite difference, also in the tail (≈ −z).
        for z in [-3.0, -6.5, -10.0, -40.0] {
            let fd = (NormalMath.logH(z + 1e-6) - NormalMath.logH(z - 1e-6)) / 2e-6
            #expect(abs(fd - NormalMath.dLogH(z)) < 1e-5 * abs(fd))
        }
        // Monotone in z.
        let zs = stride(from: -60.0, through: 5, by: 0.25).map { NormalMath.logH($0) }
        #expect(zip(zs, zs.dropFirst()).allSatisfy { $0 < $1 })
        #expect(abs(NormalMath.logCDF(-40) - (-800 - 0.5 * log(2 * Double.pi) - log(40) + log(1 - 1.0 / 1600 + 3.0 / 2_560_000))) < 1e-8)
    }
}
