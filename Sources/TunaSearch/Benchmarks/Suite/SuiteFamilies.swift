#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The base functions of the benchmark suite, in the instance's transformed coordinates z.
///
/// Each family has its global minimum 0 at z = 0, so a point's regret is its value. The shapes
/// are the COCO/BBOB noiseless functions (f1–f17, f19) and a few of the Virtual Library of
/// Simulation Experiments (Ackley, Levy, Styblinski–Tang, Griewank, six-hump camel, Zakharov),
/// without BBOB's oscillation and asymmetry transforms (the instance's shift, rotation and
/// scaling do the job of keeping the optimum unknown). `bench/search_suite.py` has the same
/// formulas in numpy; `SuiteFixture.json` checks that both agree.
public enum SuiteFamily: String, Sendable, Hashable, Codable, CaseIterable {
    case sphere, ellipsoid, rastrigin, styblinskiTang = "styblinski_tang", attractiveSector = "attractive_sector"
    case stepEllipsoid = "step_ellipsoid", rosenbrock, discus, bentCigar = "bent_cigar"
    case sharpRidge = "sharp_ridge", differentPowers = "different_powers", weierstrass
    case schaffers, griewankRosenbrock = "griewank_rosenbrock", ackley, levy, griewank
    case sixHumpCamel = "six_hump_camel", zakharov

    /// Conditioning weight 10^(k·i/(d−1)) of coordinate i.
    static func weight(_ i: Int, _ d: Int, _ k: Double) -> Double {
        d > 1 ? pow(10, k * Double(i) / Double(d - 1)) : 1
    }

    /// Weierstrass's value at the origin, subtracted so that the minimum is 0.
    static let weierstrassOffset: Double = {
        var s = 0.0
        for k in 0..<12 { s += pow(0.5, Double(k)) * cos(2 * Double.pi * pow(3, Double(k)) * 0.5) }
        return s
    }()

    public func value(_ z: [Double]) -> Double {
        let d = z.count
        switch self {
        case .sphere:
            return z.reduce(0) { $0 + $1 * $1 }
        case .ellipsoid:
            var s = 0.0
            for i in 0..<d { s += Self.weight(i, d, 6) * z[i] * z[i] }
            return s
        case .rastrigin:
            var s = 0.0
            for v in z { s += v * v - 10 * cos(2 * Double.pi * v) + 10 }
            return s
        case .styblinskiTang:
            // Minimum at u = −2.903534 in every coordinate.
            let u0 = -2.903_534_027_771_177_6
            let fmin = 0.5 * (pow(u0, 4) - 16 * u0 * u0 + 5 * u0)
            var s = 0.0
            for v in z {
                let u = v + u0
                s += 0.5 * (u * u * u * u - 16 * u * u + 5 * u) - fmin
            }
            return s
        case .attractiveSector:
            var s = 0.0
            for v in z { let w = v > 0 ? 100 * v : v; s += w * w }
            return pow(s, 0.9)
        case .stepEllipsoid:
            // Plateaus of width 0.5 in z, plus a tiny slope so every plateau has one best corner.
            var s = 0.0, t = 0.0
            for i in 0..<d {
                let r = (2 * z[i]).rounded() / 2
                s += Self.weight(i, d, 2) * r * r
                t += z[i] * z[i]
            }
            return s + 1e-3 * t
        case .rosenbrock:
            let c = max(1, Double(d).squareRoot() / 8)
            var s = 0.0
            for i in 0..<(d - 1) {
                let a = c * z[i] + 1, b = c * z[i + 1] + 1
                s += 100 * (a * a - b) * (a * a - b) + (a - 1) * (a - 1)
            }
            return s
        case .discus:
            var s = 1e6 * z[0] * z[0]
            for i in 1..<d { s += z[i] * z[i] }
            return s
        case .bentCigar:
            var s = 0.0
            for i in 1..<d { s += z[i] * z[i] }
            return z[0] * z[0] + 1e6 * s
        case .sharpRidge:
            var s = 0.0
            for i in 1..<d { s += z[i] * z[i] }
            return z[0] * z[0] + 100 * s.squareRoot()
        case .differentPowers:
            var s = 0.0
            for i in 0..<d { s += pow(abs(z[i]), 2 + 4 * Double(i) / Double(max(d - 1, 1))) }
            return s.squareRoot()
        case .weierstrass:
            var s = 0.0
            for v in z {
                for k in 0..<12 { s += pow(0.5, Double(k)) * cos(2 * Double.pi * pow(3, Double(k)) * (v + 0.5)) }
            }
            let m = s / Double(d) - Self.weierstrassOffset
            return 10 * m * m * m
        case .schaffers:
            var s = 0.0
            for i in 0..<(d - 1) {
                let r = (z[i] * z[i] + z[i + 1] * z[i + 1]).squareRoot()
                let sinus = sin(50 * pow(r, 0.2))
                s += r.squareRoot() + r.squareRoot() * sinus * sinus
            }
            let m = s / Double(d - 1)
            return m * m
        case .griewankRosenbrock:
            let c = max(1, Double(d).squareRoot() / 8)
            var s = 0.0
            for i in 0..<(d - 1) {
                let a = c * z[i] + 1, b = c * z[i + 1] + 1
                let r = 100 * (a * a - b) * (a * a - b) + (a - 1) * (a - 1)
                s += r / 4000 - cos(r)
            }
            return 10 * s / Double(d - 1) + 10
        case .ackley:
            var sq = 0.0, cs = 0.0
            for v in z { sq += v * v; cs += cos(2 * Double.pi * v) }
            let n = Double(d)
            return -20 * exp(-0.2 * (sq / n).squareRoot()) - exp(cs / n) + 20 + exp(1)
        case .levy:
            let w = z.map { 1 + $0 / 4 }
            let a = sin(Double.pi * w[0])
            var s = a * a
            for i in 0..<(d - 1) {
                let b = sin(Double.pi * w[i] + 1)
                s += (w[i] - 1) * (w[i] - 1) * (1 + 10 * b * b)
            }
            let c = sin(2 * Double.pi * w[d - 1])
            return s + (w[d - 1] - 1) * (w[d - 1] - 1) * (1 + c * c)
        case .griewank:
            var s = 0.0, p = 1.0
            for i in 0..<d {
                let u = 10 * z[i]
                s += u * u / 4000
                p *= cos(u / Double(i + 1).squareRoot())
            }
            return s - p + 1
        case .sixHumpCamel:
            // Two global minima −1.0316284535 at ±(0.0898, −0.7126); z = 0 is one of them.
            let a = 0.6 * z[0] + 0.089_842_010_440_406_3, b = 0.6 * z[1] - 0.712_656_403_020_575
            let v = (4 - 2.1 * a * a + a * a * a * a / 3) * a * a + a * b + (-4 + 4 * b * b) * b * b
            return max(v + 1.031_628_453_489_877, 0)
        case .zakharov:
            var s = 0.0, t = 0.0
            for i in 0..<d { s += z[i] * z[i]; t += 0.5 * Double(i + 1) * z[i] }
            return s + t * t + t * t * t * t
        }
    }
}
