import Foundation
import TunaStore

/// Parameter importance by PED-ANOVA (Watanabe, Bansal, Hutter 2023), the evaluator Optuna
/// Dashboard uses and Optuna ships as `PedAnovaImportanceEvaluator` (Optuna's own default,
/// fANOVA, fits a random forest: minutes at 10,000 trials, where this takes milliseconds).
///
/// For each parameter, the density of its values among the top `quantile` of the trials is
/// compared with the density among all of them (the local space: the observed range) by the
/// Pearson divergence ∫ p_all (p_top / p_all − 1)² on a 50-point grid. A parameter that does
/// not matter has the same spread in both, hence ≈ 0. Densities are Parzen estimators: Gaussian
/// kernels with Scott's bandwidth on the axis' [0, 1] position (log scale for log axes), or
/// category counts, each with one uniform prior observation. Importances sum to 1.
public enum Importance {
    public static let quantile = 0.1
    static let gridSize = 50

    /// (parameter, importance) best first; empty with fewer than three complete trials.
    public static func pedANOVA(_ trials: [TrialRecord], axes: [ParamAxis], direction: StudyDirection) -> [(name: String, importance: Double)] {
        let scored = trials.filter { $0.state == .complete && ($0.value?.isFinite ?? false) }
        guard scored.count >= 3, !axes.isEmpty else { return [] }
        let ranked = scored.sorted { direction.isBetter($0.value ?? 0, than: $1.value ?? 0) }
        let topCount = max(2, Int((quantile * Double(ranked.count)).rounded(.up)))
        let top = Array(ranked.prefix(topCount))
        var raw: [(String, Double)] = []
        for axis in axes {
            let all = ranked.compactMap { axis.position($0.params[axis.name]) }
            let best = top.compactMap { axis.position($0.params[axis.name]) }
            guard all.count >= 2, best.count >= 1 else { raw.append((axis.name, 0)); continue }
            let pAll: [Double], pTop: [Double]
            if case .categorical(let categories) = axis.kind {
                pAll = categoryMass(all, count: categories.count)
                pTop = categoryMass(best, count: categories.count)
            } else {
                pAll = parzenMass(all)
                pTop = parzenMass(best)
            }
            var divergence = 0.0
            for (a, t) in zip(pAll, pTop) where a > 0 { divergence += a * (t / a - 1) * (t / a - 1) }
            raw.append((axis.name, divergence))
        }
        let total = raw.reduce(0) { $0 + $1.1 }
        let normalized = raw.map { ($0.0, total > 0 ? $0.1 / total : 1 / Double(raw.count)) }
        return normalized.sorted { $0.1 > $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }.map { (name: $0.0, importance: $0.1) }
    }

    /// Gaussian kernels on [0, 1] evaluated on the grid, plus a uniform prior observation.
    static func parzenMass(_ xs: [Double]) -> [Double] {
        let n = Double(xs.count)
        let mean = xs.reduce(0, +) / n
        let std = (xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n).squareRoot()
        let sorted = xs.sorted()
        let iqr = quantileOf(sorted, 0.75) - quantileOf(sorted, 0.25)
        let spread = iqr > 0 ? min(std, iqr / 1.34) : std
        let floor = 1.0 / Double(gridSize)
        let bandwidth = max(1.059 * spread * pow(n, -0.2), floor)
        var mass = [Double](repeating: 0, count: gridSize)
        for g in 0..<gridSize {
            let x = Double(g) / Double(gridSize - 1)
            var density = 1.0  // the prior: one observation spread evenly over [0, 1]
            for xi in xs {
                let z = (x - xi) / bandwidth
                density += exp(-0.5 * z * z) / (bandwidth * (2 * Double.pi).squareRoot())
            }
            mass[g] = density
        }
        let total = mass.reduce(0, +)
        return mass.map { $0 / total }
    }

    static func categoryMass(_ positions: [Double], count: Int) -> [Double] {
        guard count > 0 else { return [] }
        var mass = [Double](repeating: 1.0 / Double(count), count: count)  // the prior
        for p in positions {
            let index = count > 1 ? Int((p * Double(count - 1)).rounded()) : 0
            if mass.indices.contains(index) { mass[index] += 1 }
        }
        let total = mass.reduce(0, +)
        return mass.map { $0 / total }
    }

    static func quantileOf(_ sorted: [Double], _ q: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let position = q * Double(sorted.count - 1)
        let low = Int(position.rounded(.down)), high = min(low + 1, sorted.count - 1)
        return sorted[low] + (sorted[high] - sorted[low]) * (position - Double(low))
    }
}
