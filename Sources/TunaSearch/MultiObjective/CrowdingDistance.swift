/// NSGA-II's crowding distance: how much room a point has on its front.
///
/// For each objective the front is sorted; the two extremes get infinity (so the ends of the
/// front are always kept) and each inner point adds the gap between its neighbours divided by
/// the objective's spread. Objectives on which every point is equal add nothing, so a flat
/// objective does not dilute the others. Selection prefers larger distances: they keep the
/// front spread out instead of crowding round one region.
public enum CrowdingDistance {
    /// Distances of `points`, which are usually one front (losses, every objective minimised).
    ///
    /// Ties are broken by index, so equal points get a deterministic order; with two or fewer
    /// points every distance is infinite.
    public static func of(_ points: [[Double]]) -> [Double] {
        let n = points.count
        guard n > 2, let m = points.first?.count else { return [Double](repeating: .infinity, count: n) }
        var distance = [Double](repeating: 0, count: n)
        for k in 0..<m {
            let order = (0..<n).sorted { a, b in
                points[a][k] < points[b][k] || (points[a][k] == points[b][k] && a < b)
            }
            let lo = points[order[0]][k], hi = points[order[n - 1]][k]
            let spread = hi - lo
            guard spread > 0, spread.isFinite else { continue }
            distance[order[0]] = .infinity
            distance[order[n - 1]] = .infinity
            for r in 1..<(n - 1) {
                distance[order[r]] += (points[order[r + 1]][k] - points[order[r - 1]][k]) / spread
            }
        }
        return distance
    }
}
