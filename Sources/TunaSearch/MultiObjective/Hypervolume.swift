/// Exact hypervolume: the measure of the region dominated by a set of loss vectors and bounded
/// by a reference point (every objective minimised). The score multi-objective samplers are
/// compared by, and the quantity MOTPE uses to break ties inside a front.
///
/// Points that do not strictly dominate the reference point contribute nothing (they are
/// dropped, as in Optuna after its filtering). Two objectives use a sort and a sweep,
/// O(N log N); three or more use the WFG recursion (While, Bradstreet & Barone 2012) —
/// exact and fast enough for the fronts of a few hundred points a study produces.
public enum Hypervolume {
    /// The hypervolume of `points` with respect to `reference`. Empty sets and mismatched
    /// dimensions give 0; non-finite coordinates are dropped with their point.
    public static func of(_ points: [[Double]], reference: [Double]) -> Double {
        let m = reference.count
        guard m > 0 else { return 0 }
        let inside = points.filter { p in
            p.count == m && p.allSatisfy(\.isFinite) && zip(p, reference).allSatisfy { $0 < $1 }
        }
        guard !inside.isEmpty else { return 0 }
        if m == 1 { return reference[0] - (inside.map { $0[0] }.min() ?? reference[0]) }
        var front: [[Double]] = []
        for i in Pareto.nonDominated(inside) where !front.contains(inside[i]) { front.append(inside[i]) }
        return wfg(front, reference)
    }

    /// Each point's exclusive contribution: the hypervolume lost if it alone were removed.
    /// Dominated points and duplicates contribute 0.
    public static func contributions(_ points: [[Double]], reference: [Double]) -> [Double] {
        let total = of(points, reference: reference)
        return points.indices.map { i in
            var rest = points
            rest.remove(at: i)
            return max(total - of(rest, reference: reference), 0)
        }
    }

    /// Two objectives: sorted by the first objective, each point adds the rectangle between it,
    /// the previous best second objective and the reference.
    static func sweep2D(_ points: [[Double]], _ reference: [Double]) -> Double {
        let sorted = points.sorted { $0[0] < $1[0] || ($0[0] == $1[0] && $0[1] < $1[1]) }
        var volume = 0.0
        var bestSecond = reference[1]
        for p in sorted where p[1] < bestSecond {
            volume += (reference[0] - p[0]) * (bestSecond - p[1])
            bestSecond = p[1]
        }
        return volume
    }

    /// WFG: hv(S) = Σ_i exclusive(s_i, {s_{i+1}, …}), where the exclusive volume of s against a
    /// set T is its box minus hv(T limited to s's box). Points sorted by the last objective so
    /// that the limited sets shrink quickly. Assumes `points` non-dominated and inside.
    static func wfg(_ points: [[Double]], _ reference: [Double]) -> Double {
        if points.isEmpty { return 0 }
        if reference.count == 2 { return sweep2D(points, reference) }
        if points.count == 1 { return box(points[0], reference) }
        let m = reference.count
        let sorted = points.sorted { $0[m - 1] > $1[m - 1] }
        var volume = 0.0
        for i in sorted.indices {
            let p = sorted[i]
            let limited = sorted[(i + 1)...].map { q in zip(p, q).map { Swift.max($0, $1) } }
            let front = Pareto.nonDominated(limited).map { limited[$0] }
            // Duplicates survive nonDominated (they do not dominate each other); one is enough.
            var unique: [[Double]] = []
            for q in front where !unique.contains(q) { unique.append(q) }
            volume += box(p, reference) - wfg(unique, reference)
        }
        return volume
    }

    static func box(_ p: [Double], _ reference: [Double]) -> Double {
        zip(p, reference).reduce(1.0) { $0 * ($1.1 - $1.0) }
    }
}
