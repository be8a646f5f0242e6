import Foundation
import TunaStore

/// One drawn plot: its SVG and how many trials it marks.
public struct RenderedPlot: Sendable, Encodable, Equatable {
    public var kind: String
    public var title: String
    public var svg: String
    /// Trials drawn (per panel for slices); the browser test counts `.mark` elements against it.
    public var marks: Int
    /// What was left out or why the plot is empty, when anything was.
    public var note: String?
}

/// Every plot of a study page, in page order. Pure: a snapshot in, SVG text out.
public enum StudyPlots {
    public static let kinds = ["history", "importance", "parallel", "slices", "contour", "curves"]

    public static func render(_ snapshot: StudySnapshot) -> [RenderedPlot] {
        let importance = Importance.pedANOVA(snapshot.complete, axes: snapshot.axes, direction: snapshot.study.direction)
        return [pareto(snapshot)].compactMap { $0 } + [
            history(snapshot),
            importancePlot(snapshot, importance),
            parallel(snapshot),
            slices(snapshot),
            contour(snapshot, importance),
            curves(snapshot),
        ]
    }

    static func capNote(_ drawn: Int, of total: Int) -> String? {
        drawn < total ? "showing \(drawn) of \(total) trials: the best and an even spread of the rest" : nil
    }

    // MARK: Optimisation history

    static func history(_ s: StudySnapshot) -> RenderedPlot {
        let drawn = s.drawnFinished
        let finishedCount = s.trials.filter { $0.state.isFinished }.count
        let (width, height) = (640.0, 300.0)
        let values = drawn.compactMap(\.value).filter(\.isFinite)
        let numbers = s.trials.map { Double($0.number) }
        let frame = Frame(
            width: width, height: height,
            x: Scale(low: -0.5, high: max(Double(numbers.max() ?? 0) + 0.5, 1), from: Frame.left, to: width - Frame.right),
            y: Scale(values: values, from: height - Frame.bottom, to: Frame.top))
        var out = SVG.open(kind: "history", title: "Optimisation history", width: width, height: height, marks: drawn.count)
        out += frame.axes(xLabel: "trial", yLabel: s.study.metric, integerX: true)
        // Best so far over every complete trial (not only the drawn ones).
        var best: Double?
        var steps: [(Double, Double)] = []
        for trial in s.trials where trial.state == .complete {
            guard let v = trial.value, v.isFinite else { continue }
            if best == nil || s.study.direction.isBetter(v, than: best ?? v) {
                if let b = best { steps.append((frame.x(Double(trial.number)), frame.y(b))) }
                best = v
                steps.append((frame.x(Double(trial.number)), frame.y(v)))
            }
        }
        if let b = best { steps.append((frame.plotRight, frame.y(b))) }
        out += "<polyline class=\"best\" fill=\"none\" stroke=\"#d62728\" stroke-width=\"1.5\" points=\"\(SVG.points(steps))\"/>"
        for trial in drawn {
            let x = frame.x(Double(trial.number))
            let tip = "<title>trial \(trial.number) \(trial.state.rawValue)\(trial.value.map { " " + Format.number($0) } ?? "")</title>"
            switch trial.state {
            case .complete where trial.value?.isFinite ?? false:
                out += "<circle class=\"mark complete\" data-trial=\"\(trial.number)\" cx=\"\(SVG.f(x))\" cy=\"\(SVG.f(frame.y(trial.value ?? 0)))\" r=\"3.5\" fill=\"#1f77b4\">\(tip)</circle>"
            case .pruned where trial.value?.isFinite ?? false:
                out += "<circle class=\"mark pruned\" data-trial=\"\(trial.number)\" cx=\"\(SVG.f(x))\" cy=\"\(SVG.f(frame.y(trial.value ?? 0)))\" r=\"3.5\" fill=\"#fff\" stroke=\"#ff7f0e\" stroke-width=\"1.5\">\(tip)</circle>"
            default:
                // No value: failed (or pruned before reporting) trials sit on the axis as crosses.
                let y = frame.plotBottom - 6
                out += "<path class=\"mark \(trial.state == .fail ? "fail" : "pruned")\" data-trial=\"\(trial.number)\" d=\"M\(SVG.f(x - 3)),\(SVG.f(y - 3))l6,6m0,-6l-6,6\" stroke=\"#d62728\" stroke-width=\"1.5\">\(tip)</path>"
            }
        }
        out += legend([("#1f77b4", "complete"), ("#ff7f0e", "pruned"), ("#d62728", "failed / best so far")], x: Frame.left + 8, y: 12)
        out += "</svg>"
        return RenderedPlot(kind: "history", title: "Optimisation history", svg: out, marks: drawn.count, note: capNote(drawn.count, of: finishedCount))
    }

    static func legend(_ items: [(String, String)], x: Double, y: Double) -> String {
        var out = "", left = x
        for (color, label) in items {
            out += "<rect x=\"\(SVG.f(left))\" y=\"\(SVG.f(y - 7))\" width=\"8\" height=\"8\" fill=\"\(color)\"/>"
            out += SVG.text(left + 11, y, label, anchor: "start", size: 10)
            left += 16 + Double(label.count) * 5.6
        }
        return out
    }

    // MARK: Importance

    static func importancePlot(_ s: StudySnapshot, _ importance: [(name: String, importance: Double)]) -> RenderedPlot {
        let width = 640.0
        let height = max(80.0, 36 + 22 * Double(importance.count))
        var out = SVG.open(kind: "importance", title: "Parameter importance (PED-ANOVA)", width: width, height: height, marks: 0)
        let label = 150.0, barRight = width - 70
        for (k, item) in importance.enumerated() {
            let y = 14 + 22 * Double(k)
            out += SVG.text(label - 6, y + 12, String(item.name.prefix(24)), anchor: "end")
            let w = max(1, (barRight - label) * item.importance)
            out += "<rect class=\"bar\" data-param=\"\(SVG.escape(item.name))\" x=\"\(SVG.f(label))\" y=\"\(SVG.f(y))\" width=\"\(SVG.f(w))\" height=\"16\" fill=\"#1f77b4\"/>"
            out += SVG.text(label + w + 6, y + 12, String(format: "%.3f", item.importance), anchor: "start", size: 10)
        }
        let note = importance.isEmpty ? "needs at least three complete trials" : nil
        if let note { out += SVG.text(width / 2, 44, note) }
        out += SVG.text(width - 8, height - 6, "PED-ANOVA, top \(Int(Importance.quantile * 100))% of \(s.complete.count) complete trials", anchor: "end", size: 9)
        out += "</svg>"
        return RenderedPlot(kind: "importance", title: "Parameter importance", svg: out, marks: 0, note: note)
    }

    // MARK: Parallel coordinates

    static func parallel(_ s: StudySnapshot) -> RenderedPlot {
        let drawn = s.drawnComplete
        let (width, height) = (640.0, 300.0)
        let top = 34.0, bottom = height - 30
        let columns = s.axes.count + 1
        let left = 40.0, right = width - 40
        let gap = columns > 1 ? (right - left) / Double(columns - 1) : 0
        let values = drawn.compactMap(\.value)
        let valueScale = Scale(values: values, from: bottom, to: top)
        let colorScale = Scale(values: values, from: 0, to: 1)
        var out = SVG.open(kind: "parallel", title: "Parallel coordinates", width: width, height: height, marks: drawn.count)
        for trial in drawn {
            guard let value = trial.value else { continue }
            var xy: [(Double, Double)] = []
            for (k, axis) in s.axes.enumerated() {
                if let p = axis.position(trial.params[axis.name]) { xy.append((left + gap * Double(k), bottom - p * (bottom - top))) }
            }
            xy.append((left + gap * Double(columns - 1), valueScale(value)))
            out += "<polyline class=\"mark\" data-trial=\"\(trial.number)\" fill=\"none\" stroke=\"\(SVG.color(colorScale(value)))\" stroke-opacity=\"0.7\" points=\"\(SVG.points(xy))\"/>"
        }
        for (k, axis) in s.axes.enumerated() {
            let x = left + gap * Double(k)
            out += SVG.line(x, top, x, bottom, stroke: "#444")
            out += SVG.text(x, 14, String(axis.name.prefix(16)), size: 10)
            for (p, label) in axis.ticks {
                out += SVG.text(x + 3, bottom - p * (bottom - top) + 3, String(label.prefix(10)), anchor: "start", size: 9)
            }
        }
        let vx = left + gap * Double(columns - 1)
        out += SVG.line(vx, top, vx, bottom, stroke: "#444")
        out += SVG.text(vx, 14, s.study.metric, size: 10)
        for (t, label) in valueScale.ticks() { out += SVG.text(vx - 3, valueScale(t) + 3, label, anchor: "end", size: 9) }
        out += "</svg>"
        return RenderedPlot(kind: "parallel", title: "Parallel coordinates", svg: out, marks: drawn.count, note: capNote(drawn.count, of: s.complete.count))
    }

    // MARK: Slices

    static func slices(_ s: StudySnapshot) -> RenderedPlot {
        let drawn = s.drawnComplete
        let perRow = 3
        let (panelWidth, panelHeight) = (640.0 / Double(perRow), 180.0)
        let rows = max(1, (s.axes.count + perRow - 1) / perRow)
        let height = panelHeight * Double(rows)
        let values = drawn.compactMap(\.value)
        let maxNumber = Double(max(s.trials.last?.number ?? 1, 1))
        var out = SVG.open(kind: "slices", title: "Slices", width: 640, height: height, marks: drawn.count)
        for (k, axis) in s.axes.enumerated() {
            let ox = panelWidth * Double(k % perRow), oy = panelHeight * Double(k / perRow)
            let (l, r, t, b) = (ox + 44, ox + panelWidth - 8, oy + 18, oy + panelHeight - 30)
            let y = Scale(values: values, from: b, to: t)
            out += "<g class=\"panel\" data-param=\"\(SVG.escape(axis.name))\">"
            out += SVG.line(l, b, r, b, stroke: "#555") + SVG.line(l, t, l, b, stroke: "#555")
            out += SVG.text((l + r) / 2, oy + panelHeight - 6, String(axis.name.prefix(28)), size: 10)
            for (tick, label) in y.ticks(count: 3) {
                out += SVG.text(l - 4, y(tick) + 3, label, anchor: "end", size: 9)
            }
            for (p, label) in axis.ticks { out += SVG.text(l + p * (r - l), b + 12, String(label.prefix(10)), size: 9) }
            for trial in drawn {
                guard let value = trial.value, let p = axis.position(trial.params[axis.name]) else { continue }
                let jitter = axis.isNumeric ? 0 : (Double(trial.number % 7) - 3) * 1.2
                out += "<circle class=\"mark\" data-trial=\"\(trial.number)\" cx=\"\(SVG.f(l + p * (r - l) + jitter))\" cy=\"\(SVG.f(y(value)))\" r=\"2.8\" fill=\"\(SVG.color(Double(trial.number) / maxNumber))\" fill-opacity=\"0.8\"/>"
            }
            out += "</g>"
        }
        out += "</svg>"
        return RenderedPlot(kind: "slices", title: "Slices (value against each parameter; colour: trial number)", svg: out, marks: drawn.count,
                            note: capNote(drawn.count, of: s.complete.count))
    }

    // MARK: Contour

    static func contour(_ s: StudySnapshot, _ importance: [(name: String, importance: Double)]) -> RenderedPlot {
        let drawn = s.drawnComplete
        let (width, height) = (640.0, 340.0)
        let names = importance.map(\.name)
        let chosen = names.prefix(2).compactMap { name in s.axes.first { $0.name == name } }
        guard chosen.count == 2 else {
            var out = SVG.open(kind: "contour", title: "Contour", width: width, height: 60, marks: 0)
            out += SVG.text(width / 2, 34, "a contour needs two parameters and three complete trials") + "</svg>"
            return RenderedPlot(kind: "contour", title: "Contour of the two most important parameters", svg: out, marks: 0, note: "needs two parameters")
        }
        let (ax, ay) = (chosen[0], chosen[1])
        let (l, r, t, b) = (60.0, width - 90, 20.0, height - 40)
        var points: [(Double, Double, Double, Int)] = []
        for trial in drawn {
            if let v = trial.value, let px = ax.position(trial.params[ax.name]), let py = ay.position(trial.params[ay.name]) {
                points.append((px, py, v, trial.number))
            }
        }
        let colorScale = Scale(values: points.map(\.2), from: 0, to: 1)
        var out = SVG.open(kind: "contour", title: "Contour of \(ax.name) and \(ay.name)", width: width, height: height, marks: points.count)
        // Inverse-distance weighting on a 24 × 24 grid: no triangulation, and smooth enough to
        // show where the good region is.
        let cells = 24
        let (cw, ch) = ((r - l) / Double(cells), (b - t) / Double(cells))
        for i in 0..<cells {
            for j in 0..<cells {
                let (cx, cy) = ((Double(i) + 0.5) / Double(cells), (Double(j) + 0.5) / Double(cells))
                var (num, den) = (0.0, 0.0)
                for p in points {
                    let d2 = (p.0 - cx) * (p.0 - cx) + (p.1 - cy) * (p.1 - cy)
                    let w = 1 / (d2 * d2 + 1e-6)
                    num += w * p.2
                    den += w
                }
                guard den > 0 else { continue }
                out += "<rect class=\"cell\" x=\"\(SVG.f(l + Double(i) * cw))\" y=\"\(SVG.f(b - Double(j + 1) * ch))\" width=\"\(SVG.f(cw + 0.5))\" height=\"\(SVG.f(ch + 0.5))\" fill=\"\(SVG.color(colorScale(num / den)))\"/>"
            }
        }
        for p in points {
            out += "<circle class=\"mark\" data-trial=\"\(p.3)\" cx=\"\(SVG.f(l + p.0 * (r - l)))\" cy=\"\(SVG.f(b - p.1 * (b - t)))\" r=\"3\" fill=\"#fff\" stroke=\"#222\"/>"
        }
        out += SVG.line(l, b, r, b, stroke: "#555") + SVG.line(l, t, l, b, stroke: "#555")
        for (p, label) in ax.ticks { out += SVG.text(l + p * (r - l), b + 14, String(label.prefix(10)), size: 10) }
        for (p, label) in ay.ticks { out += SVG.text(l - 4, b - p * (b - t) + 4, String(label.prefix(10)), anchor: "end", size: 10) }
        out += SVG.text((l + r) / 2, height - 6, ax.name)
        out += SVG.text(14, (t + b) / 2, ay.name, extra: " transform=\"rotate(-90 14 \(SVG.f((t + b) / 2)))\"")
        // The colour bar.
        for k in 0..<20 {
            let y0 = b - Double(k + 1) * (b - t) / 20
            out += "<rect x=\"\(SVG.f(r + 20))\" y=\"\(SVG.f(y0))\" width=\"14\" height=\"\(SVG.f((b - t) / 20 + 0.5))\" fill=\"\(SVG.color(Double(k) / 19))\"/>"
        }
        if let lo = points.map(\.2).min(), let hi = points.map(\.2).max() {
            out += SVG.text(r + 38, b, Format.number(Double(String(format: "%.4g", lo)) ?? lo), anchor: "start", size: 9)
            out += SVG.text(r + 38, t + 8, Format.number(Double(String(format: "%.4g", hi)) ?? hi), anchor: "start", size: 9)
        }
        out += "</svg>"
        return RenderedPlot(kind: "contour", title: "Contour of the two most important parameters (\(ax.name), \(ay.name))", svg: out,
                            marks: points.count, note: capNote(drawn.count, of: s.complete.count))
    }

    // MARK: Learning curves

    static func curves(_ s: StudySnapshot) -> RenderedPlot {
        let (width, height) = (640.0, 300.0)
        let all = s.curves.flatMap { $0.folds.flatMap { $0 } }
        let maxX = Double(all.map(\.x).max() ?? 1)
        let frame = Frame(
            width: width, height: height, x: Scale(low: 0, high: max(maxX, 1), from: Frame.left, to: width - Frame.right),
            y: Scale(values: all.map(\.y), from: height - Frame.bottom, to: Frame.top))
        var out = SVG.open(kind: "curves", title: "Learning curves", width: width, height: height, marks: s.curves.count)
        out += frame.axes(xLabel: s.epochsPerFold == nil ? "step" : "epoch (one line per fold)", yLabel: s.study.metric, integerX: true)
        let best = s.complete.min { s.study.direction.isBetter($0.value ?? 0, than: $1.value ?? 0) }?.number
        for curve in s.curves {
            let color = curve.number == best ? "#d62728" : (curve.state == .pruned ? "#ff7f0e" : (curve.state == .running ? "#2ca02c" : "#1f77b4"))
            let widthAttr = curve.number == best ? "2" : "1"
            out += "<g class=\"mark \(curve.state.rawValue.lowercased())\" data-trial=\"\(curve.number)\"><title>trial \(curve.number) \(curve.state.rawValue)</title>"
            for fold in curve.folds {
                let xy = fold.map { (frame.x(Double($0.x)), frame.y($0.y)) }
                out += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-opacity=\"0.75\" stroke-width=\"\(widthAttr)\" points=\"\(SVG.points(xy))\"/>"
            }
            if curve.state == .pruned, let last = curve.folds.last?.last {
                let (x, y) = (frame.x(Double(last.x)), frame.y(last.y))
                out += "<path class=\"stop\" d=\"M\(SVG.f(x - 4)),\(SVG.f(y - 4))l8,8m0,-8l-8,8\" stroke=\"#ff7f0e\" stroke-width=\"2\"/>"
            }
            out += "</g>"
        }
        out += legend([("#1f77b4", "complete"), ("#ff7f0e", "pruned (× where stopped)"), ("#2ca02c", "running"), ("#d62728", "best")], x: Frame.left + 8, y: 12)
        out += "</svg>"
        let withCurves = s.trials.filter { $0.state == .complete || $0.state == .pruned || $0.state == .running }.count
        return RenderedPlot(kind: "curves", title: "Learning curves (per epoch and fold)", svg: out, marks: s.curves.count,
                            note: s.curves.count < withCurves && withCurves > s.limits.curves ? "showing \(s.curves.count) trials' curves: the best and an even spread of the rest" : nil)
    }
}
