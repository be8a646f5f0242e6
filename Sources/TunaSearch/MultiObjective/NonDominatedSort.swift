/// Pareto dominance and non-dominated sorting on loss vectors (every objective minimised).
///
/// All multi-objective code works on losses: values are turned into losses once, through
/// ``Direction/loss(_:)`` per objective, so that dominance, crowding and hypervolume never
/// branch on directions. ``ParetoFront`` does that turn for trials.
public enum Pareto {
    /// True when `a` dominates `b`: no worse in every objective and better in at least one.
    ///
    /// Equal vectors do not dominate each other, so duplicates share a rank (as in Optuna).
    /// Vectors of different lengths never dominate.
    public static func dominates(_ a: [Double], _ b: [Double]) -> Bool {
        guard a.count == b.count else { return false }
        var strictly = false
        for i in a.indices {
            if a[i] > b[i] { return false }
            if a[i] < b[i] { strictly = true }
        }
        return strictly
    }

    /// The non-dominated rank of every point (0 = on the Pareto front, 1 = on the front once
    /// rank 0 is removed, …), by Deb's fast non-dominated sort: O(M N²) comparisons, fine for
    /// the few thousand trials a study has. NaN compares as neither better nor worse, so
    /// callers drop non-finite vectors first (``ParetoFront`` does).
    public static func ranks(_ points: [[Double]]) -> [Int] {
        let n = points.count
        var dominatedBy = [Int](repeating: 0, count: n)  // how many points dominate i
        var dominating = [[Int]](repeating: [], count: n)  // the points i dominates
        for i in 0..<n {
            for j in (i + 1)..<max(n, i + 1) {
                if dominates(points[i], points[j]) {
                    dominating[i].append(j)
                    dominatedBy[j] += 1
                } else if dominates(points[j], points[i]) {
                    dominating[j].append(i)
                    dominatedBy[i] += 1
                }
            }
        }
        var rank = [Int](repeating: 0, count: n)
        var current = (0..<n).filter { dominatedBy[$0] == 0 }
        var level = 0
        while !current.isEmpty {
            var next: [Int] = []
            for i in current {
                rank[i] = level
                for j in dominating[i] {
                    dominatedBy[j] -= 1
                    if dominatedBy[j] == 0 { next.append(j) }
                }
            }
            current = next.sorted()
            level += 1
        }
        return rank
    }

    /// The points grouped by rank, best front first, each front's indices ascending.
    public static func fronts(_ points: [[Double]]) -> [[Int]] {
        let r = ranks(points)
        guard let top = r.max() else { return [] }
        var out = [[Int]](repeating: [], count: top + 1)
        for (i, k) in r.enumerated() { out[k].append(i) }
        return out
    }

    /// Indices of the non-dominated points (rank 0), ascending.
    ///
    /// `tuna best` and the dashboard ask this of whole studies, where comparing every pair
    /// (up to 10^10 comparisons at 10^5 trials, when few are dominated) would hang them. A point's dominator precedes it in
    /// lexicographic order, and anything that dominates it is itself dominated by (or is) a
    /// point of the front, so scanning in that order each point is compared with the front
    /// found so far only: O(N log N + N·F) for a front of F points. Non-finite vectors must be
    /// dropped first (NaN has no order).
    public static func nonDominated(_ points: [[Double]]) -> [Int] {
        let order = points.indices.sorted { i, j in
            for k in points[i].indices where k < points[j].count && points[i][k] != points[j][k] {
                return points[i][k] < points[j][k]
            }
            return points[i].count != points[j].count ? points[i].count < points[j].count : i < j
        }
        var front: [Int] = []
        for i in order where !front.contains(where: { dominates(points[$0], points[i]) }) { front.append(i) }
        return front.sorted()
    }
}
