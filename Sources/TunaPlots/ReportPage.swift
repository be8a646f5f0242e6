import Foundation
import TunaStore

/// `tuna report`: one HTML file with no outside references (no script, no font, no image
/// file): the study's plots as inline SVG from `StudyPlots`, the leaderboard and, with a
/// model, its confusion matrix and ROC curve.
public enum ReportPage {
    public static func html(_ snapshot: StudySnapshot, leaderboardSize: Int = 20, model: ModelQuality? = nil, generated: Date = Date()) -> String {
        let study = snapshot.study
        var counts: [TrialState: Int] = [:]
        for trial in snapshot.trials { counts[trial.state, default: 0] += 1 }
        let summary = TrialState.allCases.compactMap { state in counts[state].map { "\($0) \(state.rawValue.lowercased())" } }.joined(separator: ", ")
        var out = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Tuna report: \(SVG.escape(study.name))</title>
            <style>\(Stylesheet.css)</style></head><body>
            <header><h1>Study \(SVG.escape(study.name))</h1>
            <p>\(study.direction.rawValue) \(SVG.escape(study.metric)); \(snapshot.trials.count) trials (\(SVG.escape(summary))); state \(study.state.rawValue); report written \(ISO8601DateFormatter().string(from: generated))</p></header>
            <main>
            """
        for plot in StudyPlots.render(snapshot) { out += section(plot) }
        out += "<section id=\"leaderboard\"><h2>Leaderboard</h2>" + leaderboard(snapshot, size: leaderboardSize) + "</section>"
        if let model {
            out += section(ModelPlots.confusion(model))
            out += section(ModelPlots.roc(model))
        }
        out += "</main></body></html>\n"
        return out
    }

    static func section(_ plot: RenderedPlot) -> String {
        "<section class=\"card\" id=\"plot-\(plot.kind)\"><h2>\(SVG.escape(plot.title))</h2>"
            + (plot.note.map { "<p class=\"note\">\(SVG.escape($0))</p>" } ?? "") + plot.svg + "</section>\n"
    }

    /// The best complete trials with their parameters.
    public static func leaderboard(_ snapshot: StudySnapshot, size: Int) -> String {
        let ranked = snapshot.complete.sorted {
            snapshot.study.direction.isBetter($0.value ?? 0, than: $1.value ?? 0) || ($0.value == $1.value && $0.number < $1.number)
        }.prefix(max(size, 1))
        let names = snapshot.axes.map(\.name)
        var out = "<table class=\"trials\"><thead><tr><th>rank</th><th>trial</th><th>\(SVG.escape(snapshot.study.metric))</th><th>std</th><th>seconds</th>"
        out += names.map { "<th>\(SVG.escape($0))</th>" }.joined() + "</tr></thead><tbody>"
        for (rank, trial) in ranked.enumerated() {
            out += "<tr><td>\(rank + 1)</td><td>\(trial.number)</td><td>\(trial.value.map(Format.number) ?? "")</td>"
            out += "<td>\(trial.std.map { String(format: "%.3g", $0) } ?? "")</td><td>\(trial.duration.map { String(format: "%.2f", $0) } ?? "")</td>"
            out += names.map { name in "<td>\(SVG.escape(trial.params[name].map(ParamAxis.label) ?? ""))</td>" }.joined() + "</tr>"
        }
        return out + "</tbody></table>"
    }
}

/// The one stylesheet of the report and the dashboard.
public enum Stylesheet {
    public static let css = """
        body{font-family:system-ui,sans-serif;margin:0;background:#f4f5f7;color:#222}
        header{background:#0b3d5c;color:#fff;padding:10px 20px}header h1{margin:0;font-size:20px}header p{margin:4px 0 0;font-size:13px}
        header a{color:#cfe8ff}
        main{display:grid;grid-template-columns:repeat(auto-fill,minmax(560px,1fr));gap:14px;padding:14px}
        .card{background:#fff;border-radius:6px;box-shadow:0 1px 3px rgba(0,0,0,.15);padding:10px 14px;overflow:auto}
        .card h2{font-size:15px;margin:0 0 6px}.note{font-size:12px;color:#666;margin:0 0 4px}
        #leaderboard,.wide{grid-column:1/-1;background:#fff;padding:10px 14px;border-radius:6px}
        #leaderboard h2,.wide h2{font-size:15px;margin:0 0 6px}
        table.trials{border-collapse:collapse;font-size:12px;width:100%}
        table.trials th,table.trials td{border-bottom:1px solid #e3e3e3;padding:3px 6px;text-align:left;white-space:nowrap}
        table.trials th{background:#f0f2f5;cursor:pointer;user-select:none}
        .COMPLETE{color:#1f77b4}.PRUNED{color:#d46a00}.FAIL{color:#c00}.RUNNING{color:#2a8a2a}.WAITING{color:#777}
        .controls{display:flex;gap:10px;align-items:center;font-size:13px;margin-bottom:6px}
        ul.studies{list-style:none;padding:0}ul.studies li{padding:6px 0;font-size:15px}
        """
}
