import Foundation

/// A few helpers for writing SVG as text: the one renderer behind the report's inline SVG and
/// the dashboard's plots, so both show the same pictures.
enum SVG {
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }

    /// Coordinates with one decimal: enough on a 640-unit canvas, and a third of the bytes.
    static func f(_ x: Double) -> String {
        guard x.isFinite else { return "0" }
        return String(format: "%.1f", x)
    }

    static func open(kind: String, title: String, width: Double, height: Double, marks: Int) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"plot\" data-plot=\"\(kind)\" data-marks=\"\(marks)\" "
            + "viewBox=\"0 0 \(f(width)) \(f(height))\" width=\"100%\" preserveAspectRatio=\"xMidYMid meet\" role=\"img\" "
            + "font-family=\"sans-serif\" font-size=\"11\"><title>\(escape(title))</title>"
            + "<rect x=\"0\" y=\"0\" width=\"\(f(width))\" height=\"\(f(height))\" fill=\"#fff\"/>"
    }

    static func text(_ x: Double, _ y: Double, _ content: String, anchor: String = "middle", size: Int = 11, extra: String = "") -> String {
        "<text x=\"\(f(x))\" y=\"\(f(y))\" text-anchor=\"\(anchor)\" font-size=\"\(size)\" fill=\"#333\"\(extra)>\(escape(content))</text>"
    }

    static func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String = "#999", width: Double = 1) -> String {
        "<line x1=\"\(f(x1))\" y1=\"\(f(y1))\" x2=\"\(f(x2))\" y2=\"\(f(y2))\" stroke=\"\(stroke)\" stroke-width=\"\(f(width))\"/>"
    }

    static func points(_ xy: [(Double, Double)]) -> String {
        xy.map { f($0.0) + "," + f($0.1) }.joined(separator: " ")
    }

    /// A viridis-like ramp: 0 is dark purple, 1 yellow.
    static func color(_ t: Double) -> String {
        let stops: [(Double, Double, Double)] = [(68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)]
        let u = min(max(t.isFinite ? t : 0, 0), 1) * Double(stops.count - 1)
        let i = min(Int(u), stops.count - 2)
        let w = u - Double(i)
        let (a, b) = (stops[i], stops[i + 1])
        func mix(_ p: Double, _ q: Double) -> Int { Int((p + (q - p) * w).rounded()) }
        return String(format: "#%02x%02x%02x", mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
    }
}

/// Maps a data interval onto a pixel interval (a flipped range for y).
struct Scale {
    var low: Double
    var high: Double
    var from: Double
    var to: Double

    /// The values' range with 5% padding; a single value gets ±1.
    init(values: [Double], from: Double, to: Double) {
        let finite = values.filter(\.isFinite)
        var lo = finite.min() ?? 0, hi = finite.max() ?? 1
        if hi <= lo { lo -= 1; hi += 1 }
        let pad = (hi - lo) * 0.05
        self.init(low: lo - pad, high: hi + pad, from: from, to: to)
    }

    init(low: Double, high: Double, from: Double, to: Double) {
        self.low = low
        self.high = high
        self.from = from
        self.to = to
    }

    func callAsFunction(_ x: Double) -> Double {
        high > low ? from + (x - low) / (high - low) * (to - from) : (from + to) / 2
    }

    /// Round values inside the range, with their labels.
    func ticks(count: Int = 5, integers: Bool = false) -> [(value: Double, label: String)] {
        NiceTicks.ticks(low: low, high: high, count: count, integers: integers).map { (value: $0.0, label: $0.1) }
    }
}

/// The frame of an x/y plot: axes, ticks, labels.
struct Frame {
    static let left = 60.0, right = 16.0, top = 24.0, bottom = 40.0
    var width: Double
    var height: Double
    var x: Scale
    var y: Scale

    var plotLeft: Double { Self.left }
    var plotRight: Double { width - Self.right }
    var plotTop: Double { Self.top }
    var plotBottom: Double { height - Self.bottom }

    func axes(xLabel: String, yLabel: String, xTicks: [(Double, String)]? = nil, integerX: Bool = false) -> String {
        var out = SVG.line(plotLeft, plotBottom, plotRight, plotBottom, stroke: "#555")
        out += SVG.line(plotLeft, plotTop, plotLeft, plotBottom, stroke: "#555")
        for (t, label) in y.ticks() {
            out += SVG.line(plotLeft - 4, y(t), plotLeft, y(t), stroke: "#555")
            out += SVG.line(plotLeft, y(t), plotRight, y(t), stroke: "#eee")
            out += SVG.text(plotLeft - 6, y(t) + 4, label, anchor: "end", size: 10)
        }
        for (value, label) in xTicks ?? x.ticks(integers: integerX).map({ ($0.value, $0.label) }) {
            out += SVG.line(x(value), plotBottom, x(value), plotBottom + 4, stroke: "#555")
            out += SVG.text(x(value), plotBottom + 15, label, size: 10)
        }
        out += SVG.text((plotLeft + plotRight) / 2, height - 6, xLabel)
        out += SVG.text(14, (plotTop + plotBottom) / 2, yLabel, extra: " transform=\"rotate(-90 14 \(SVG.f((plotTop + plotBottom) / 2)))\"")
        return out
    }
}
