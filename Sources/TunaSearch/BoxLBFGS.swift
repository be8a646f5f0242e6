/// A small box-constrained limited-memory BFGS minimiser (projected search direction,
/// backtracking Armijo line search along the projected path).
///
/// Used twice: for the GP's kernel hyperparameters (in log space, boxed to keep the kernel
/// sane) and to polish acquisition optima inside the unit cube. Both problems are small (< 30
/// variables) and smooth, so this simple variant (not full L-BFGS-B) is enough.
struct BoxLBFGS {
    var memory = 8
    var maxIterations = 50
    var gradientTolerance = 1e-6
    var relativeTolerance = 1e-10

    /// Minimises `f` (value and gradient) from `x0` within `lower...upper`.
    func minimize(
        _ x0: [Double], lower: [Double], upper: [Double], _ f: ([Double]) -> (Double, [Double])
    ) -> (x: [Double], value: Double) {
        let n = x0.count
        func project(_ x: [Double]) -> [Double] {
            var y = x
            for i in 0..<n { y[i] = min(max(y[i], lower[i]), upper[i]) }
            return y
        }
        var x = project(x0)
        var (fx, g) = f(x)
        guard fx.isFinite else { return (x, fx) }
        var sHist: [[Double]] = []
        var yHist: [[Double]] = []
        var rhoHist: [Double] = []

        for _ in 0..<maxIterations {
            // Free variables: not pinned at a bound with the gradient pushing outwards.
            var free = [Bool](repeating: true, count: n)
            var pgNorm = 0.0
            for i in 0..<n {
                if (x[i] <= lower[i] && g[i] > 0) || (x[i] >= upper[i] && g[i] < 0) { free[i] = false } else {
                    pgNorm = max(pgNorm, abs(g[i]))
                }
            }
            if pgNorm < gradientTolerance { break }

            // Two-loop recursion on the free subspace.
            var q = g
            for i in 0..<n where !free[i] { q[i] = 0 }
            var alphas = [Double](repeating: 0, count: sHist.count)
            for k in stride(from: sHist.count - 1, through: 0, by: -1) {
                var a = 0.0
                for i in 0..<n where free[i] { a += sHist[k][i] * q[i] }
                a *= rhoHist[k]
                alphas[k] = a
                for i in 0..<n where free[i] { q[i] -= a * yHist[k][i] }
            }
            if let s = sHist.last, let y = yHist.last {
                var sy = 0.0, yy = 0.0
                for i in 0..<n { sy += s[i] * y[i]; yy += y[i] * y[i] }
                let gamma = yy > 0 ? sy / yy : 1
                for i in 0..<n { q[i] *= gamma }
            }
            for k in 0..<sHist.count {
                var b = 0.0
                for i in 0..<n where free[i] { b += yHist[k][i] * q[i] }
                b *= rhoHist[k]
                for i in 0..<n where free[i] { q[i] += sHist[k][i] * (alphas[k] - b) }
            }
            var d = q.map { -$0 }
            for i in 0..<n where !free[i] { d[i] = 0 }
            var slope = 0.0
            for i in 0..<n { slope += d[i] * g[i] }
            if !(slope < 0) {
                // Not a descent direction: fall back to steepest descent and forget curvature.
                d = g.map { -$0 }
                for i in 0..<n where !free[i] { d[i] = 0 }
                slope = 0
                for i in 0..<n { slope += d[i] * g[i] }
                sHist.removeAll(); yHist.removeAll(); rhoHist.removeAll()
            }
            if sHist.isEmpty {
                // First step: keep it inside a unit-ish move.
                let dn = d.reduce(0) { max($0, abs($1)) }
                if dn > 1 { d = d.map { $0 / dn } }
            }

            var step = 1.0
            var accepted = false
            var xNew = x, fNew = fx, gNew = g
            for _ in 0..<30 {
                var trial = x
                for i in 0..<n { trial[i] += step * d[i] }
                trial = project(trial)
                var decrease = 0.0
                for i in 0..<n { decrease += g[i] * (trial[i] - x[i]) }
                let (ft, gt) = f(trial)
                if ft.isFinite && ft <= fx + 1e-4 * min(decrease, 0) {
                    xNew = trial; fNew = ft; gNew = gt
                    accepted = true
                    break
                }
                step *= 0.5
            }
            if !accepted { break }
            var s = [Double](repeating: 0, count: n)
            var y = [Double](repeating: 0, count: n)
            var sy = 0.0
            for i in 0..<n {
                s[i] = xNew[i] - x[i]
                y[i] = gNew[i] - g[i]
                sy += s[i] * y[i]
            }
            let improvement = fx - fNew
            x = xNew; fx = fNew; g = gNew
            if sy > 1e-12 {
                sHist.append(s); yHist.append(y); rhoHist.append(1 / sy)
                if sHist.count > memory { sHist.removeFirst(); yHist.removeFirst(); rhoHist.removeFirst() }
            }
            if improvement <= relativeTolerance * max(abs(fx), 1) { break }
        }
        return (x, fx)
    }
}
