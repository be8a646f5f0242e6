import Foundation
import Testing
import TunaProtocol
import TunaSearch
import TunaSpec
import TunaStore
import TunaWire

@testable import TunaScheduler

/// A study with two metrics in the scheduler: values checked at arrival, stored per metric, and
/// the multi-objective sampler asked with them.
@Suite struct MultiObjectiveSchedulerTests {
    static let text = """
        name: pareto
        objective: {command: [echo, "f1=1 f2=2"]}
        search:
          algorithm: nsga2
          population_size: 4
          metrics: [{name: f1, direction: minimize}, {name: f2, direction: maximize}]
          trials: 8
          parameters: {x: {float: [0, 1]}}
        """

    @Test(arguments: StoreKind.allCases)
    func resultsCarryOneFiniteValuePerMetricOrTheTrialFails(_ kind: StoreKind) throws {
        let harness = try Harness(backend: kind)
        let active = try harness.scheduler.add(try harness.study(Self.text))
        #expect(active.multiObjective?.sampler is NSGAIISampler)
        let worker = try harness.worker("w1")
        try worker.join(allowsCommands: true)
        // What each trial reports: good, too few, too many, then good until the budget.
        let sent: [[Double]?] = [[0.2, 0.9], nil, [0.1, 0.2, 0.3], [0.4, 0.95], [0.3, 0.5], [0.6, 0.99], [0.5, 0.1], [0.9, 1.0]]
        for values in sent {
            let assignment = try #require(try worker.assignment())
            try worker.send(.result, ResultMessage(
                trialID: assignment.trialID, value: values?.first ?? 0.5, seconds: 0.01, values: values))
        }
        #expect(try harness.pump { harness.scheduler.isFinished })
        let trials = try harness.trials("pareto")
        #expect(trials.map(\.state) == [.complete, .fail, .fail, .complete, .complete, .complete, .complete, .complete])
        #expect(trials[0].values == [0.2, 0.9] && trials[0].value == 0.2, "value keeps the first metric")
        #expect(trials[1].error == "the result has 1 value(s) for 2 metric(s) (f1, f2)")
        #expect(trials[2].error == "the result has 3 value(s) for 2 metric(s) (f1, f2)")
        #expect(trials.filter { $0.state == .complete }.map(\.values) == sent.filter { $0?.count == 2 })
        // The sampler was told every complete trial's values (the second generation is bred
        // from them: NSGA-II with a population of 4).
        #expect(active.finishedValues.count == 6 && active.finishedValues[0] == [0.2, 0.9])
        try harness.expectConsistent()
        // A scheduler taking the study up again (after a restart) reads the values back.
        let resumed = try ActiveStudy(
            study: active.study, record: active.record, budget: 8, store: harness.store, dataset: nil, asksOffThread: false)
        #expect(resumed.finishedValues == active.finishedValues)
        #expect(resumed.multiObjectiveContext(directions: [.minimize, .maximize]).observations.count == 6)
    }

    @Test func aResultsValuesAreCheckedForCountAndFiniteness() throws {
        let metrics = ["accuracy", "inference_ms"]
        let good = ResultMessage(trialID: 1, value: 0.9, seconds: 1, values: [0.9, 3.5])
        #expect(try good.objectiveValues(metrics: metrics).get() == [0.9, 3.5])
        let single = ResultMessage(trialID: 1, value: 0.9, seconds: 1)
        #expect(try single.objectiveValues(metrics: ["accuracy"]).get() == [0.9], "one metric: the value alone")
        let short = ResultMessage(trialID: 1, value: 0.9, seconds: 1)
        #expect(throws: ObjectiveValuesError(description: "the result has 1 value(s) for 2 metric(s) (accuracy, inference_ms)", diverged: false)) {
            try short.objectiveValues(metrics: metrics).get()
        }
        for bad in [Double.nan, .infinity, -.infinity] {
            let result = ResultMessage(trialID: 1, value: 0.9, seconds: 1, values: [0.9, bad])
            #expect(throws: ObjectiveValuesError(description: "the value of 'inference_ms' is not a finite number (\(bad))", diverged: true)) {
                try result.objectiveValues(metrics: metrics).get()
            }
        }
    }
}
