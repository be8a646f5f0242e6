/// Decides whether a running trial should stop early, from its intermediate values and those of
/// the other trials (Optuna's pruner protocol, made stateless).
///
/// `trial` is the trial that just reported `step`; `history` holds the study's other trials in
/// any state (the trial itself, if present, is ignored). Pruners keep no state between calls:
/// what Optuna stores in trial system attributes (ASHA's rung values) is recomputed from the
/// intermediate values, so a restarted scheduler decides exactly as before.
public protocol Pruner: Sendable {
    func shouldPrune(_ trial: Trial, step: Int, history: [Trial], direction: Direction) -> Bool
}

/// Never prunes.
public struct NopPruner: Pruner, Codable, Hashable {
    public init() {}
    public func shouldPrune(_ trial: Trial, step: Int, history: [Trial], direction: Direction) -> Bool { false }
}

/// Percentile of the non-NaN values with linear interpolation (NumPy's `nanpercentile`); NaN
/// when there is none.
func nanPercentile(_ values: [Double], _ q: Double) -> Double {
    let v = values.filter { !$0.isNaN }.sorted()
    guard !v.isEmpty else { return .nan }
    let pos = min(max(q, 0), 100) / 100 * Double(v.count - 1)
    let lo = Int(pos.rounded(.down)), hi = min(lo + 1, v.count - 1)
    return v[lo] + (v[hi] - v[lo]) * (pos - Double(lo))
}
