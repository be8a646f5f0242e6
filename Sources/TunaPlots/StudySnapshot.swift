import Foundation
import TunaStore

/// A study as the plots see it: its trials (all of them, by number), the axes of its
/// parameters and the learning curves of the trials that are drawn. Built from any
/// `TrialStore`, so the dashboard (read-only SQLite) and the report share it.
public struct StudySnapshot: Sendable {
    public var study: StudyRecord
    /// Every trial of the study, by number.
    public var trials: [TrialRecord]
    public var axes: [ParamAxis]
    /// Curves of the trials picked by `PlotLimits.curves`, by number.
    public var curves: [TrialCurve]
    /// Epochs per fold, inferred from a complete trial's steps and folds; nil for objectives
    /// that report plain steps.
    public var epochsPerFold: Int?
    public var limits: PlotLimits

    public init(study: StudyRecord, trials: [TrialRecord], curves: [TrialCurve], epochsPerFold: Int?, limits: PlotLimits = PlotLimits()) {
        self.study = study
        self.trials = trials
        self.axes = ParamAxis.axes(for: trials.filter { $0.state == .complete })
        self.curves = curves
        self.epochsPerFold = epochsPerFold
        self.limits = limits
    }

    /// Reads the study's trials and the curves of the drawn ones. Curves cost one query per
    /// trial, which is why only `limits.curves` trials get one.
    public static func load(store: any TrialStore, study: StudyRecord, limits: PlotLimits = PlotLimits()) throws -> StudySnapshot {
        let trials = try store.trials(study: study.id)
        let picked = limits.pickCurves(trials, direction: study.direction)
        // Workers report step = fold × epochs + epoch; a complete trial's last step and its
        // fold count give the epochs (the study file is not needed for it).
        var epochs: Int?
        for trial in picked where trial.state == .complete {
            let folds = try store.foldValues(trial: trial.id)
            let steps = try store.intermediateValues(trial: trial.id)
            if folds.count > 1, let last = steps.last?.step, (last + 1) % folds.count == 0, last + 1 >= folds.count {
                epochs = (last + 1) / folds.count
            }
            break
        }
        var curves: [TrialCurve] = []
        for trial in picked {
            let values = try store.intermediateValues(trial: trial.id)
            guard !values.isEmpty else { continue }
            curves.append(TrialCurve(trial: trial, values: values, epochsPerFold: epochs))
        }
        return StudySnapshot(study: study, trials: trials, curves: curves, epochsPerFold: epochs, limits: limits)
    }

    /// Finished trials with a value, COMPLETE ones: what the value plots draw.
    public var complete: [TrialRecord] {
        trials.filter { $0.state == .complete && ($0.value?.isFinite ?? false) }
    }

    /// The value plots' trials, capped at `limits.marks` (the best always kept).
    public var drawnComplete: [TrialRecord] { limits.pickMarks(complete, direction: study.direction) }

    /// Finished trials (COMPLETE, PRUNED, FAIL): the history's marks, capped the same way.
    public var drawnFinished: [TrialRecord] {
        limits.pickMarks(trials.filter { $0.state.isFinished }, direction: study.direction)
    }
}

/// How much a plot draws. A browser stays responsive with a few thousand SVG marks per plot;
/// past that, every plot keeps the best trials and an even spread of the rest, and says so.
public struct PlotLimits: Sendable, Equatable {
    public var marks: Int
    public var curves: Int

    public init(marks: Int = 2000, curves: Int = 200) {
        self.marks = max(marks, 10)
        self.curves = max(curves, 2)
    }

    /// All trials when they fit; else the best tenth of the cap plus evenly spaced others.
    func pickMarks(_ trials: [TrialRecord], direction: StudyDirection) -> [TrialRecord] {
        Self.pick(trials, cap: marks, direction: direction)
    }

    func pickCurves(_ trials: [TrialRecord], direction: StudyDirection) -> [TrialRecord] {
        Self.pick(trials.filter { $0.state == .complete || $0.state == .pruned || $0.state == .running }, cap: curves, direction: direction)
    }

    static func pick(_ trials: [TrialRecord], cap: Int, direction: StudyDirection) -> [TrialRecord] {
        guard trials.count > cap else { return trials }
        let ranked = trials.filter { $0.value?.isFinite ?? false }
            .sorted { direction.isBetter($0.value ?? 0, than: $1.value ?? 0) || ($0.value == $1.value && $0.number < $1.number) }
        var keep = Set(ranked.prefix(cap / 10).map(\.number))
        let rest = trials.filter { !keep.contains($0.number) }
        let room = cap - keep.count
        if room > 0, !rest.isEmpty {
            let stride = Double(rest.count) / Double(room)
            for k in 0..<min(room, rest.count) {
                let index = min(rest.count - 1, Int(Double(k) * stride))
                keep.insert(rest[index].number)
            }
        }
        return trials.filter { keep.contains($0.number) }
    }
}

/// One trial's reported values, split into folds when the study trains folds.
public struct TrialCurve: Sendable, Equatable {
    public var number: Int
    public var state: TrialState
    /// Per fold (one fold for plain steps): (epoch or step, value), in order.
    public var folds: [[CurvePoint]]

    public struct CurvePoint: Sendable, Equatable {
        public var x: Int
        public var y: Double
    }

    public init(trial: TrialRecord, values: [IntermediateValue], epochsPerFold: Int?) {
        number = trial.number
        state = trial.state
        var folds: [[CurvePoint]] = []
        for value in values {
            guard let y = value.value, y.isFinite, value.step >= 0 else { continue }
            let (fold, x) = epochsPerFold.map { (value.step / $0, value.step % $0) } ?? (0, value.step)
            while folds.count <= fold && folds.count < 1000 { folds.append([]) }
            guard fold < folds.count else { continue }
            folds[fold].append(CurvePoint(x: x, y: y))
        }
        self.folds = folds.filter { !$0.isEmpty }
    }
}
