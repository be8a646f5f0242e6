import ArgumentParser
import Foundation
import TunaSearch

/// `tuna bench multi`: hypervolume @50/100/200 of the multi-objective samplers on ZDT and DTLZ2
/// problems over seeds, beside Optuna's NSGA-II and multi-objective TPE when their results
/// (from bench/multi_objective.py) are given.
struct BenchMulti: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "multi",
        abstract: "Hypervolume of the multi-objective samplers on ZDT/DTLZ2 problems, beside Optuna.")

    @Option(help: "Samplers, comma-separated (random, nsga2, nsga2-sbx, motpe).")
    var samplers = "random,nsga2,motpe"

    @Option(help: "Problems, comma-separated (\(MultiObjectiveProblems.names.joined(separator: ", "))).")
    var problems = "zdt1,zdt2,zdt3,zdt1-5d,dtlz2"

    @Option(help: "Seeds per sampler and problem.")
    var seeds = 10

    @Option(help: "Evaluations per run.")
    var evaluations = 200

    @Option(help: "JSON written by bench/multi_objective.py, folded into the table.")
    var reference: String?

    /// One row of bench/multi_objective.py's output.
    struct ReferenceRow: Decodable {
        var sampler: String
        var problem: String
        var seeds: Int
        var dimensions: Int
        var reference: [Double]
        var hypervolume_at: [String: Quartiles]
        var ms_per_trial: Double
    }

    static func make(_ name: String, seed: UInt64) -> (any MultiObjectiveSampler)? {
        switch name {
        case "random": return SingleObjectiveAdapter(RandomSampler(seed: seed))
        case "nsga2": return NSGAIISampler(seed: seed)
        case "nsga2-sbx": return NSGAIISampler(seed: seed, crossover: .sbx)
        case "motpe": return MOTPESampler(seed: seed)
        default: return nil
        }
    }

    func run() throws {
        let names = samplers.split(separator: ",").map(String.init)
        for name in names where Self.make(name, seed: 0) == nil {
            throw ValidationError("unknown sampler '\(name)'; known: random, nsga2, nsga2-sbx, motpe")
        }
        let list = try problems.split(separator: ",").map { name -> any MultiObjectiveProblem in
            do { return try MultiObjectiveProblems.named(String(name)) } catch { throw ValidationError("\(error)") }
        }
        var referenceRows: [ReferenceRow] = []
        if let reference {
            let data = try Data(contentsOf: URL(fileURLWithPath: reference))
            referenceRows = try JSONDecoder().decode([ReferenceRow].self, from: data)
        }
        let runner = MultiObjectiveBenchmarkRunner(evaluations: evaluations, seeds: (0..<UInt64(max(seeds, 1))).map { $0 })
        print("problem    sampler        seeds  hv@50 median (q25-q75)     hv@100 median (q25-q75)    hv@200 median (q25-q75)    ms/ask")
        func line(_ problem: String, _ sampler: String, _ seeds: Int, _ at: [Int: Quartiles], _ ms: Double) {
            func cell(_ n: Int) -> String {
                guard let q = at[n] else { return "-" }
                return String(format: "%.4f (%.4f-%.4f)", q.median, q.q25, q.q75)
            }
            print(
                problem.padding(toLength: 10, withPad: " ", startingAt: 0),
                sampler.padding(toLength: 14, withPad: " ", startingAt: 0),
                String(format: "%5d ", seeds),
                cell(50).padding(toLength: 26, withPad: " ", startingAt: 0),
                cell(100).padding(toLength: 26, withPad: " ", startingAt: 0),
                cell(200).padding(toLength: 26, withPad: " ", startingAt: 0),
                String(format: "%7.2f", ms))
        }
        for problem in list {
            for name in names {
                let result = try runner.run(sampler: name, problem: problem) { Self.make(name, seed: $0) ?? NSGAIISampler(seed: $0) }
                line(problem.name, name, result.seeds, result.hypervolumeAt, result.suggestMs)
            }
            for row in referenceRows where row.problem == problem.name {
                guard row.dimensions == problem.space.parameters.count, row.reference == problem.reference else {
                    print("  (\(row.sampler): skipped, its \(row.problem) has \(row.dimensions) dimensions and reference \(row.reference))")
                    continue
                }
                var at: [Int: Quartiles] = [:]
                for (k, v) in row.hypervolume_at { if let n = Int(k) { at[n] = v } }
                line(problem.name, row.sampler, row.seeds, at, row.ms_per_trial)
            }
        }
    }
}
