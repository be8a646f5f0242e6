#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A TuRBO-style trust region (Eriksson et al. 2019) for the acquisition, rebuilt from the
/// history on every ask so the sampler stays a pure function of its context.
///
/// Expected improvement over the whole box keeps sending proposals to the box's bounds, where
/// a GP's variance is largest (issue #14 measured 40–100% of proposals there). Inside a box
/// around the best trial, with sides scaled by the fitted lengthscales, it refines where the
/// data are instead. The side starts at 0.8 of the unit cube, doubles (up to 1.6) after three
/// improvements in a row, halves after max(4, d) trials without one, and starts again at 0.8
/// once it falls below 0.5⁷.
enum TrustRegion {
    static func side(losses: [Double], startup: Int, dimensions d: Int) -> Double {
        var side = 0.8, successes = 0, failures = 0
        var best = Double.infinity
        let patience = max(4, d)
        for (i, loss) in losses.enumerated() {
            defer { best = min(best, loss) }
            guard i >= startup else { continue }
            if loss < best - 1e-3 * abs(best) {
                successes += 1
                failures = 0
            } else {
                failures += 1
                successes = 0
            }
            if successes == 3 {
                side = min(2 * side, 1.6)
                successes = 0
            }
            if failures == patience {
                side /= 2
                failures = 0
            }
            if side < 0.0078125 { side = 0.8 }
        }
        return side
    }

    /// The region's bounds in feature space (categorical features unbounded).
    static func box(
        losses: [Double], startup: Int, center: [Double], hyper: GPHyperparameters, categorical: [Bool]
    ) -> (lower: [Double], upper: [Double]) {
        let d = center.count
        let side = Self.side(losses: losses, startup: startup, dimensions: d)
        // Lengthscale weights normalised to a geometric mean of 1 over the numeric features.
        let numeric = (0..<d).filter { !categorical[$0] }
        let lengths = hyper.inverseSquaredLengthscales.map { 1 / max($0, 1e-12).squareRoot() }
        var logMean = 0.0
        for c in numeric { logMean += log(lengths[c]) }
        let mean = numeric.isEmpty ? 1 : exp(logMean / Double(numeric.count))
        var lower = [Double](repeating: 0, count: d), upper = [Double](repeating: 1, count: d)
        for c in numeric {
            let half = side * lengths[c] / mean / 2
            lower[c] = max(center[c] - half, 0)
            upper[c] = min(center[c] + half, 1)
        }
        return (lower, upper)
    }
}
