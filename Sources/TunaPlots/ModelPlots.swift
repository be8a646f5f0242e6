import Foundation

/// An exported model scored on labelled rows, as the report draws it.
public struct ModelQuality: Sendable {
    public var title: String
    public var classNames: [String]
    /// Rows are true classes, columns predicted ones.
    public var confusion: [[Int]]
    /// One curve per class against the rest (a single one, for the second class, with two).
    public var roc: [ROCCurve]

    public init(title: String, classNames: [String], truth: [Int], probabilities: [[Double]]) {
        self.title = title
        self.classNames = classNames
        let k = classNames.count
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: k), count: k)
        for (t, p) in zip(truth, probabilities) {
            guard let predicted = p.indices.max(by: { p[$0] < p[$1] }), confusion.indices.contains(t), predicted < k else { continue }
            confusion[t][predicted] += 1
        }
        self.confusion = confusion
        let positives = k == 2 ? [1] : Array(0..<k)
        roc = positives.map { c in
            ROCCurve(name: classNames[c], truth: truth.map { $0 == c }, scores: probabilities.map { $0.indices.contains(c) ? $0[c] : 0 })
        }
    }
}

/// A receiver operating characteristic: (false positive rate, true positive rate) at every
/// distinct score, from (0, 0) to (1, 1), and its area by the trapezoid rule.
public struct ROCCurve: Sendable, Equatable {
    public var name: String
    public var points: [(fpr: Double, tpr: Double)]
    public var auc: Double?

    public static func == (a: ROCCurve, b: ROCCurve) -> Bool {
        a.name == b.name && a.auc == b.auc && a.points.elementsEqual(b.points) { $0.fpr == $1.fpr && $0.tpr == $1.tpr }
    }

    public init(name: String, truth: [Bool], scores: [Double]) {
        self.name = name
        let pairs = zip(scores, truth).sorted { $0.0 > $1.0 }
        let positives = Double(truth.filter { $0 }.count), negatives = Double(truth.count) - positives
        guard positives > 0, negatives > 0 else { points = []; auc = nil; return }
        var (tp, fp) = (0.0, 0.0)
        var points: [(fpr: Double, tpr: Double)] = [(0, 0)]
        var index = 0
        while index < pairs.count {
            let score = pairs[index].0
            // Ties move together: one point per distinct score.
            while index < pairs.count && pairs[index].0 == score {
                if pairs[index].1 { tp += 1 } else { fp += 1 }
                index += 1
            }
            points.append((fp / negatives, tp / positives))
        }
        self.points = points
        var area = 0.0
        for k in 1..<points.count {
            area += (points[k].fpr - points[k - 1].fpr) * (points[k].tpr + points[k - 1].tpr) / 2
        }
        auc = area
    }
}

public enum ModelPlots {
    public static func confusion(_ q: ModelQuality) -> RenderedPlot {
        let k = q.classNames.count
        let cell = min(60.0, 420 / Double(max(k, 1)))
        let (left, top) = (120.0, 40.0)
        let width = left + cell * Double(k) + 20, height = top + cell * Double(k) + 20
        let largest = Double(q.confusion.flatMap { $0 }.max() ?? 1)
        var out = SVG.open(kind: "confusion", title: "Confusion matrix", width: width, height: height, marks: k * k)
        out += SVG.text(left + cell * Double(k) / 2, 14, "predicted")
        for (j, name) in q.classNames.enumerated() {
            out += SVG.text(left + cell * (Double(j) + 0.5), top - 8, String(name.prefix(10)), size: 10)
            out += SVG.text(left - 6, top + cell * (Double(j) + 0.5) + 4, String(name.prefix(16)), anchor: "end", size: 10)
        }
        for (i, row) in q.confusion.enumerated() {
            for (j, count) in row.enumerated() {
                let t = largest > 0 ? Double(count) / largest : 0
                out += "<rect class=\"mark\" x=\"\(SVG.f(left + cell * Double(j)))\" y=\"\(SVG.f(top + cell * Double(i)))\" width=\"\(SVG.f(cell))\" height=\"\(SVG.f(cell))\" fill=\"\(SVG.color(t))\" stroke=\"#fff\"/>"
                out += SVG.text(left + cell * (Double(j) + 0.5), top + cell * (Double(i) + 0.5) + 4, String(count), extra: t > 0.6 ? " fill=\"#000\"" : " style=\"fill:#fff\"")
            }
        }
        out += SVG.text(12, top + cell * Double(k) / 2, "true", extra: " transform=\"rotate(-90 12 \(SVG.f(top + cell * Double(k) / 2)))\"")
        out += "</svg>"
        return RenderedPlot(kind: "confusion", title: "Confusion matrix (\(q.title))", svg: out, marks: k * k, note: nil)
    }

    public static func roc(_ q: ModelQuality) -> RenderedPlot {
        let (width, height) = (420.0, 380.0)
        let frame = Frame(width: width, height: height, x: Scale(low: 0, high: 1, from: Frame.left, to: width - Frame.right),
                          y: Scale(low: 0, high: 1, from: height - Frame.bottom, to: Frame.top))
        var out = SVG.open(kind: "roc", title: "ROC curve", width: width, height: height, marks: q.roc.count)
        out += frame.axes(xLabel: "false positive rate", yLabel: "true positive rate")
        out += SVG.line(frame.x(0), frame.y(0), frame.x(1), frame.y(1), stroke: "#bbb")
        for (k, curve) in q.roc.enumerated() {
            let color = SVG.color(q.roc.count > 1 ? Double(k) / Double(q.roc.count - 1) * 0.85 : 0.3)
            out += "<polyline class=\"mark\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"\(SVG.points(curve.points.map { (frame.x($0.fpr), frame.y($0.tpr)) }))\"/>"
            out += SVG.text(frame.x(0.98), frame.y(0.05) - 14 * Double(q.roc.count - 1 - k), "\(curve.name)\(curve.auc.map { String(format: " AUC %.3f", $0) } ?? "")", anchor: "end", size: 10, extra: " style=\"fill:\(color)\"")
        }
        out += "</svg>"
        return RenderedPlot(kind: "roc", title: "ROC curve (\(q.roc.count == 1 ? "\(q.roc.first?.name ?? "") against the other class" : "each class against the rest"))", svg: out, marks: q.roc.count, note: nil)
    }
}
