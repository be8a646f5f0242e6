import ArgumentParser
import Foundation
import TunaSearch
import TunaTensor

/// `tuna bench search`: sample efficiency (regret after 25/50/100 evaluations over seeds) of
/// every sampler on the benchmark functions, and the time one suggestion takes.
struct BenchSearch: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Regret of each sampler on benchmark functions, and suggestion time.")

    @Option(help: "Samplers, comma-separated (\(SamplerKind.allCases.map(\.rawValue).joined(separator: ", "))).")
    var samplers = "random,tpe,bayesian"

    @Option(help: "Benchmark functions, comma-separated.")
    var functions = "branin,hartmann6,rosenbrock4"

    @Option(help: "Seeds per sampler and function.")
    var seeds = 10

    @Option(help: "Evaluations per run.")
    var evaluations = 100

    @Option(help: "History sizes at which to time one suggestion, comma-separated.")
    var suggestAt = "200,1000"

    @Flag(help: "One JSON object per line.")
    var json = false

    @Flag(help: "Run the broad suite (20 functions, 7 more with --only; random instances per seed) instead of the three functions.")
    var suite = false

    @Option(help: "With --suite: only these suite functions, comma-separated.")
    var only: String?

    @Option(help: "With --suite: write the instances (for bench/search_suite.py) to this file and stop.")
    var writeInstances: String?

    @Option(help: "With --suite: reference results from bench/search_suite.py to fold in, comma-separated files.")
    var reference: String?

    @Option(help: "With --suite: save every curve and diagnostic as JSON to this file.")
    var save: String?

    @Option(help: "With --suite: show results saved earlier (--save), comma-separated files, instead of running the samplers.")
    var load: String?

    /// Median regret at 50 evaluations of the best of Optuna 5's samplers and scikit-optimize
    /// on this machine (shared/bench/README.md; regret does not depend on machine speed).
    static let bestReferenceAt50: [String: (Double, String)] = [
        "branin": (3.6e-5, "Optuna GPSampler"),
        "hartmann6": (6.2e-3, "Optuna GPSampler"),
        "rosenbrock4": (4.4, "skopt gp_minimize"),
    ]

    func run() throws {
        // The GP's small matrices are fastest on one thread (as in the scheduler).
        BLAS.setThreads(1)
        let kinds = try samplers.split(separator: ",").map { name -> SamplerKind in
            guard let kind = SamplerKind(rawValue: String(name)) else {
                throw ValidationError("unknown sampler '\(name)'; known: \(SamplerKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return kind
        }
        if suite {
            try runSuite(kinds)
            return
        }
        let names = functions.split(separator: ",").map(String.init)
        for name in names {
            do { _ = try BenchmarkFunctions.named(name) } catch { throw ValidationError("\(error)") }
        }
        let runner = BenchmarkRunner(evaluations: evaluations, seeds: (0..<UInt64(max(seeds, 1))).map { $0 })
        if !json {
            print("function      sampler     regret@25 (q25-q75)            regret@50 (q25-q75)            regret@100          suggest ms   best reference @50")
        }
        for name in names {
            for kind in kinds {
                let result = try runner.run(sampler: kind, function: name)
                let reference = Self.bestReferenceAt50[name]
                if json {
                    var object: [String: Any] = [
                        "sampler": kind.rawValue, "function": name, "seeds": result.seeds,
                        "regret_at": Dictionary(uniqueKeysWithValues: result.regretAt.map { (String($0.key), $0.value.median) }),
                        "suggest_ms": result.suggestMs,
                    ]
                    if let reference { object["reference_at_50"] = reference.0; object["reference"] = reference.1 }
                    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
                    print(String(decoding: data, as: UTF8.self))
                } else {
                    func cell(_ n: Int) -> String {
                        guard let q = result.regretAt[n] else { return "-" }
                        return String(format: "%.3g (%.2g-%.2g)", q.median, q.q25, q.q75)
                    }
                    print(
                        name.padding(toLength: 13, withPad: " ", startingAt: 0),
                        kind.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0),
                        cell(25).padding(toLength: 30, withPad: " ", startingAt: 0),
                        cell(50).padding(toLength: 30, withPad: " ", startingAt: 0),
                        cell(100).padding(toLength: 19, withPad: " ", startingAt: 0),
                        String(format: "%8.2f", result.suggestMs), "  ",
                        reference.map { String(format: "%.2g (%@)", $0.0, $0.1) } ?? "-")
                }
            }
        }
        let sizes = suggestAt.split(separator: ",").compactMap { Int($0) }
        for kind in kinds {
            for size in sizes {
                let milliseconds = try suggestionTime(kind, historySize: size)
                if json {
                    let data = try JSONSerialization.data(withJSONObject: ["sampler": kind.rawValue, "history": size, "suggest_ms": milliseconds], options: [.sortedKeys])
                    print(String(decoding: data, as: UTF8.self))
                } else {
                    print(String(format: "suggestion with %5d finished trials (hartmann6): %-9@ %8.2f ms", size, kind.rawValue, milliseconds))
                }
            }
        }
    }

    func runSuite(_ kinds: [SamplerKind]) throws {
        let seedList = (0..<UInt64(max(seeds, 1))).map { $0 }
        let names = only.map { Set($0.split(separator: ",").map(String.init)) }
        if let names {
            let known = Set(BenchmarkSuite.all.map(\.name))
            for n in names where !known.contains(n) {
                throw ValidationError("unknown suite function '\(n)'; known: \(BenchmarkSuite.all.map(\.name).joined(separator: ", "))")
            }
        }
        if let writeInstances {
            let file = SuiteInstanceFile(instances: BenchmarkSuite.instances(seeds: seedList, only: names))
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            try encoder.encode(file).write(to: URL(fileURLWithPath: writeInstances))
            print("wrote \(file.instances.count) instances to \(writeInstances)")
            return
        }
        let bench = SuiteBench(
            samplers: kinds, seeds: seedList, evaluations: evaluations, only: names,
            referenceFiles: reference.map { $0.split(separator: ",").map(String.init) } ?? [], saveFile: save,
            loadFiles: load.map { $0.split(separator: ",").map(String.init) } ?? [])
        try bench.run()
        for kind in kinds where load == nil {
            for size in suggestAt.split(separator: ",").compactMap({ Int($0) }) {
                let milliseconds = try suggestionTime(kind, historySize: size)
                print(String(format: "suggestion with %5d finished trials (hartmann6): %-9@ %8.2f ms", size, kind.rawValue, milliseconds))
            }
        }
    }

    /// The median time of 5 suggestions given `historySize` finished random trials on Hartmann-6.
    func suggestionTime(_ kind: SamplerKind, historySize: Int) throws -> Double {
        let function = try BenchmarkFunctions.named("hartmann6")
        let random = RandomSampler(seed: 99)
        var history: [Trial] = []
        for n in 0..<historySize {
            let params = try random.ask(SamplingContext(space: function.space, history: [], trialNumber: n))
            history.append(Trial(number: n, state: .complete, params: params, value: try function.evaluate(params)))
        }
        let sampler = kind.make(seed: 1)
        let clock = ContinuousClock()
        var times: [Double] = []
        for k in 0..<5 {
            let context = SamplingContext(space: function.space, history: history, trialNumber: historySize + k)
            let elapsed = try clock.measure { _ = try sampler.ask(context) }
            times.append(Double(elapsed.components.attoseconds) * 1e-15 + Double(elapsed.components.seconds) * 1e3)
        }
        return times.sorted()[times.count / 2]
    }
}
