import Foundation
import Testing
import TunaSearch
@testable import TunaSpec

/// `search.metrics`: several metrics with directions, the samplers that can serve them, and
/// the mistakes refused at load with their line.
@Suite struct MultiObjectiveStudyTests {
    /// A command study with `search` lines put in at line 4.
    static func study(_ searchLines: String) -> String {
        """
        name: mo
        objective: {command: [echo, "f1=1 f2=2"]}
        search:
        \(searchLines)
          parameters: {x: {float: [0, 1]}}
        """
    }

    @Test func metricsWithDirectionsAndNSGAIIOptionsParse() throws {
        let folder = try StudyFolder()
        let study = try folder.parse(Self.study("""
              algorithm: nsga2
              population_size: 8
              crossover: sbx
              metrics: [{name: f1, direction: minimize}, {name: f2, direction: maximize}]
              reference_point: [1, 0]
            """))
        let search = study.search
        #expect(search.objectives == [ObjectiveMetric(name: "f1", direction: .minimize), ObjectiveMetric(name: "f2", direction: .maximize)])
        #expect(search.metric == "f1" && search.direction == .minimize, "the first metric is what one-metric readers show")
        let multi = try #require(search.multiObjective)
        #expect(multi.sampler == .nsga2 && multi.populationSize == 8 && multi.crossover == .sbx)
        #expect(multi.referencePoint == [1, 0])
        #expect(multi.make(seed: 1, budget: 20) is NSGAIISampler)
    }

    @Test func aPopulationTooLargeForTheBudgetIsWarnedAbout() throws {
        let folder = try StudyFolder()
        let small = try folder.parse(Self.study("  algorithm: nsga2\n  population_size: 8\n  metrics: [f1, f2]\n  trials: 16"))
        #expect(small.samplerWarnings().isEmpty)
        let large = try folder.parse(Self.study("  algorithm: nsga2\n  population_size: 30\n  metrics: [f1, f2]\n  trials: 40"))
        let warning = try #require(large.samplerWarnings().first)
        #expect("\(warning)".hasSuffix("study.yaml:5:20: warning: NSGA-II's first generation (population_size 30) is random and breeding starts after it; 40 trials leave 10 bred ones (lower population_size, or use motpe)"), "\(warning)")
    }

    @Test func theShortFormTakesEachMetricsUsualDirection() throws {
        let folder = try StudyFolder()
        let study = try folder.parse(mlpStudy
            .replacingOccurrences(of: "  metric: accuracy\n", with: "  metrics: [accuracy, inference_ms, parameters]\n")
            .replacingOccurrences(of: "  algorithm: tpe\n", with: "")
            .replacingOccurrences(of: "  pruner: {median: {warmup_steps: 1}}\n", with: ""))
        #expect(study.search.objectives.map(\.direction) == [.maximize, .minimize, .minimize])
        #expect(study.search.multiObjective?.sampler == .auto)
        // `auto`: MOTPE for budgets where it is the better sampler, NSGA-II beyond.
        let multi = try #require(study.search.multiObjective)
        #expect(multi.make(seed: 0, budget: 12) is MOTPESampler)
        #expect(multi.make(seed: 0, budget: MultiObjectiveSearch.autoNSGAIIAbove + 1) is NSGAIISampler)
    }

    @Test func oneMetricIsASingleObjectiveStudy() throws {
        let folder = try StudyFolder()
        let study = try folder.parse(Self.study("  algorithm: bayesian\n  metrics: [{name: f2, direction: maximize}]"))
        #expect(study.search.multiObjective == nil)
        #expect(study.search.algorithm == .bayesian && study.search.metric == "f2" && study.search.direction == .maximize)
    }

    @Test func mistakesAreRefusedAtLoadWithTheirLine() throws {
        let folder = try StudyFolder()
        let two = "  metrics: [f1, f2]\n"
        let cases: [(String, String)] = [
            ("  algorithm: bayesian\n" + two, "study.yaml:4:14: error: 'bayesian' optimises one metric; a study with 2 metrics takes one of nsga2, motpe, random, sobol, auto"),
            ("  algorithm: nsga3\n" + two, "study.yaml:4:14: error: unknown search algorithm 'nsga3' (did you mean 'nsga2'?)"),
            (two + "  pruner: {median: {}}", "study.yaml:5:11: error: a pruner compares one metric over epochs"),
            ("  algorithm: nsga2\n  metrics: [f1]", "study.yaml:4:14: error: 'nsga2' is a multi-objective sampler; list several 'metrics'"),
            (two + "  metric: f1", "study.yaml:5:11: error: 'metrics' lists every metric with its direction; remove 'metric' and 'direction'"),
            ("  metrics: [f1, f1]", "study.yaml:4:17: error: metric 'f1' is listed twice"),
            ("  metrics: [f1, {name: f2, direction: up}]", "study.yaml:4:39: error: direction is 'minimize' or 'maximize', got 'up'"),
            ("  metrics: []", "study.yaml:4:12: error: 'metrics' is a list of metric names"),
            (two + "  reference_point: [1]", "study.yaml:5:20: error: 'reference_point' is a list of 2 numbers, one per metric (f1, f2)"),
            (two + "  reference_point: [1, .nan]", "study.yaml:5:24: error: a reference point value is a finite number"),
            ("  algorithm: motpe\n  population_size: 10\n" + two, "study.yaml:5:20: error: 'population_size' is an NSGA-II option; 'algorithm' is motpe"),
            ("  algorithm: nsga2\n  population_size: 1\n" + two, "study.yaml:5:20: error: 'population_size' is an integer from 2 to 10000"),
            ("  reference_point: [1, 2]", "study.yaml:4:20: error: 'reference_point' is for multi-objective studies"),
            ("  metrics: [" + (1...9).map { "m\($0)" }.joined(separator: ", ") + "]", "study.yaml:4:12: error: 'metrics' lists 9 metrics; at most 8"),
        ]
        for (lines, expected) in cases {
            let message = folder.error(Self.study(lines))
            #expect(message.hasPrefix(expected), "\(lines)\n→ \(message)")
        }
        let withMetricKey = Self.study(two).replacingOccurrences(of: "timeout", with: "x")
            .replacingOccurrences(of: "objective: {command: [echo, \"f1=1 f2=2\"]}", with: "objective: {command: [echo, \"f1=1 f2=2\"], metric: f1}")
        #expect(folder.error(withMetricKey).hasPrefix("study.yaml:2:51: error: 'objective.metric' names the one key to read"), "\(folder.error(withMetricKey))")
        let function = "name: mo\nobjective: {function: branin}\nsearch:\n  metrics: [f1, f2]\n  parameters: {x0: {float: [-5, 10]}, x1: {float: [0, 15]}}\n"
        #expect(folder.error(function).hasPrefix("study.yaml:2:23: error: a benchmark function has one value"), "\(folder.error(function))")
    }

    @Test func aNetworkStudysMetricsAreCheckedAgainstWhatTrialsReport() throws {
        let folder = try StudyFolder()
        let study = mlpStudy
            .replacingOccurrences(of: "  metric: accuracy\n", with: "  metrics: [accuracy, latency_ms]\n")
            .replacingOccurrences(of: "  algorithm: tpe\n", with: "")
            .replacingOccurrences(of: "  pruner: {median: {warmup_steps: 1}}\n", with: "")
        let message = folder.error(study)
        #expect(message.contains("study.yaml:15:23: error: metric 'latency_ms' is not reported"), "\(message)")
        #expect(message.contains("inference_ms"), "the cost metrics are among the known ones: \(message)")
    }
}
