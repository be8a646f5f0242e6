import Foundation
import Testing
import TunaPlots
import TunaStore

/// The Pareto plot of a study with several metrics: every trial once, the front in red.
struct ParetoPlotTests {
    @Test func aTwoMetricStudyGetsAParetoPlotFirstWithItsFrontMarked() throws {
        let store = InMemoryTrialStore()
        let study = try store.createStudy(NewStudy(
            name: "mo", studyFile: "", studyHash: "h", direction: .maximize, metric: "accuracy",
            settings: ["metrics": "accuracy,parameters", "directions": "maximize,minimize"]))
        // (accuracy, parameters): the front is 0.9@100, 0.95@400 and 0.97@900.
        let points: [[Double]] = [[0.9, 100], [0.95, 400], [0.85, 400], [0.97, 900], [0.9, 1000]]
        for values in points {
            let trial = try store.createTrial(study: study.id, params: ["units": .number(values[1])])
            try store.markRunning(trial: trial.id, worker: "w")
            try store.finishTrial(trial.id, .complete(value: values[0], std: nil, values: values))
        }
        let plots = StudyPlots.render(try StudySnapshot.load(store: store, study: study))
        let pareto = try #require(plots.first)
        #expect(pareto.kind == "pareto" && pareto.title == "Pareto front (accuracy × parameters)")
        #expect(pareto.marks == 5 && StudyPlotsTests.marks(pareto.svg) == 5)
        #expect(pareto.svg.components(separatedBy: "class=\"mark front\"").count - 1 == 3)
        #expect(pareto.svg.contains("trial 3: accuracy 0.97, parameters 900"))
        #expect(plots.count == StudyPlots.kinds.count + 1)
    }

    @Test func aSingleMetricStudyHasNoParetoPlot() throws {
        let (store, study) = try StudyPlotsTests.store(6)
        #expect(!StudyPlots.render(try StudySnapshot.load(store: store, study: study)).contains { $0.kind == "pareto" })
    }
}
