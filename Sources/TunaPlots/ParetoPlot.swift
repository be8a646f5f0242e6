import TunaSearch
import TunaStore

extension StudyPlots {
    /// The trials of a study with several metrics on the plane of the first two, the Pareto
    /// front (over every metric) in red and joined in order along the first metric, the rest in
    /// grey: the trade-off `tuna best` lists, at a glance. Nil for a single-objective study.
    static func pareto(_ s: StudySnapshot) -> RenderedPlot? {
        guard let objectives = s.study.objectives else { return nil }
        let directions = objectives.map { $0.direction == .minimize ? Direction.minimize : .maximize }
        let usable = s.complete.filter { $0.values?.count == objectives.count }
        let front = ParetoFront.of(
            usable.map { MultiObjectiveTrial(number: $0.number, state: .complete, params: [:], values: $0.values) },
            directions: directions)
        let onFront = Set(front.map(\.number))
        let others = s.drawnComplete.filter { !onFront.contains($0.number) && $0.values?.count == objectives.count }
        let drawn = usable.filter { onFront.contains($0.number) } + others
        let (width, height) = (640.0, 360.0)
        let frame = Frame(
            width: width, height: height,
            x: Scale(values: drawn.compactMap { $0.values?.first }, from: Frame.left, to: width - Frame.right),
            y: Scale(values: drawn.compactMap { $0.values?[1] }, from: height - Frame.bottom, to: Frame.top))
        let title = "Pareto front (\(objectives[0].name) × \(objectives[1].name))"
        var out = SVG.open(kind: "pareto", title: title, width: width, height: height, marks: drawn.count)
        out += frame.axes(
            xLabel: "\(objectives[0].name) (\(objectives[0].direction.rawValue))",
            yLabel: "\(objectives[1].name) (\(objectives[1].direction.rawValue))")
        if objectives.count == 2 {
            let line = front.compactMap { $0.values }.sorted { $0[0] < $1[0] }.map { (frame.x($0[0]), frame.y($0[1])) }
            out += "<polyline class=\"front\" fill=\"none\" stroke=\"#d62728\" stroke-width=\"1\" points=\"\(SVG.points(line))\"/>"
        }
        for trial in others + usable.filter({ onFront.contains($0.number) }) {
            guard let values = trial.values else { continue }
            let isFront = onFront.contains(trial.number)
            let tip = "<title>trial \(trial.number): " + zip(objectives, values).map { "\($0.name) \(Format.number($1))" }.joined(separator: ", ") + "</title>"
            out += "<circle class=\"mark \(isFront ? "front" : "complete")\" data-trial=\"\(trial.number)\" cx=\"\(SVG.f(frame.x(values[0])))\" cy=\"\(SVG.f(frame.y(values[1])))\" r=\"\(isFront ? "4" : "3")\" fill=\"\(isFront ? "#d62728" : "#9aa5b1")\">\(tip)</circle>"
        }
        out += legend([("#d62728", "Pareto front (\(onFront.count))"), ("#9aa5b1", "dominated")], x: Frame.left + 8, y: 12)
        out += "</svg>"
        var notes: [String] = []
        if objectives.count > 2 { notes.append("the first two of \(objectives.count) metrics; the front is over all of them") }
        if let cap = capNote(drawn.count, of: usable.count) { notes.append(cap) }
        return RenderedPlot(kind: "pareto", title: title, svg: out, marks: drawn.count, note: notes.isEmpty ? nil : notes.joined(separator: "; "))
    }
}
