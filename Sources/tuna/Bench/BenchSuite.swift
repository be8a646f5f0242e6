import ArgumentParser
import Foundation
import TunaSearch

/// The instance file `tuna bench search --suite --write-instances` writes and
/// `bench/search_suite.py` reads.
struct SuiteInstanceFile: Codable {
    var low = SuiteInstance.low
    var high = SuiteInstance.high
    var choices = SuiteInstance.choiceCount
    var instances: [SuiteInstance]
}

/// One reference run as `bench/search_suite.py` writes it: the best-so-far regret after every
/// evaluation of one sampler on one instance.
struct SuiteReferenceRun: Codable {
    var sampler: String
    var function: String
    var seed: UInt64
    var curve: [Double]
}

struct SuiteReferenceFile: Codable {
    var runs: [SuiteReferenceRun]
}

/// `tuna bench search --suite`: every sampler on every suite function's instances, with the
/// Python references run on the same instances folded in, as one table.
struct SuiteBench {
    var samplers: [SamplerKind]
    var seeds: [UInt64]
    var evaluations: Int
    var only: Set<String>?
    var referenceFiles: [String]
    var saveFile: String?
    /// Saved results (`--save` of an earlier run) to show instead of running the samplers again.
    var loadFiles: [String] = []

    static let referenceNames = ["optuna_gp", "optuna_tpe", "skopt_gp"]

    func run() throws {
        let specs = only.map { names in BenchmarkSuite.all.filter { names.contains($0.name) } } ?? BenchmarkSuite.functions
        var references: [String: [SuiteReferenceRun]] = [:]  // "sampler/function" → runs
        for file in referenceFiles {
            let data = try Data(contentsOf: URL(fileURLWithPath: file))
            for r in try JSONDecoder().decode(SuiteReferenceFile.self, from: data).runs {
                references["\(r.sampler)/\(r.function)", default: []].append(r)
            }
        }
        let runner = SuiteRunner(evaluations: evaluations)
        var results: [String: SuiteResult] = [:]
        var shown = samplers.map(\.rawValue)
        for file in loadFiles {
            let decoder = JSONDecoder()
            decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            for r in try decoder.decode([SuiteResult].self, from: Data(contentsOf: URL(fileURLWithPath: file))) {
                results["\(r.sampler)/\(r.function)"] = r
                if !shown.contains(r.sampler) { shown.append(r.sampler) }
            }
        }
        let seedSet = Set(seeds)
        for spec in specs {
            let instances = seeds.map { SuiteInstance(spec: spec, seed: $0) }
            for kind in samplers where loadFiles.isEmpty {
                let r = try runner.run(sampler: kind.rawValue, instances: instances) { kind.make(seed: $0) }
                results["\(kind.rawValue)/\(spec.name)"] = r
                FileHandle.standardError.write(Data(String(
                    format: "%@ %@: @50 %.3g, boundary %.0f%%, duplicates %.0f%%, %.2f ms\n",
                    spec.name, kind.rawValue, r.regret(at: 50)?.median ?? .nan,
                    100 * r.boundaryFraction, 100 * r.duplicateFraction, r.suggestMs).utf8))
            }
            for name in Self.referenceNames {
                let runs = (references["\(name)/\(spec.name)"] ?? []).filter { seedSet.contains($0.seed) }
                    .sorted { $0.seed < $1.seed }
                guard !runs.isEmpty else { continue }
                results["\(name)/\(spec.name)"] = SuiteResult(
                    sampler: name, function: spec.name, curves: runs.map(\.curve), boundaryFraction: .nan,
                    duplicateFraction: .nan, suggestMs: .nan)
            }
        }
        if let saveFile {
            let encoder = JSONEncoder()
            // References have no diagnostics (NaN), which JSON cannot hold as a number.
            encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            let data = try encoder.encode(Array(results.values).sorted { ($0.function, $0.sampler) < ($1.function, $1.sampler) })
            try data.write(to: URL(fileURLWithPath: saveFile))
        }
        print(SuiteTable(results: results, functions: specs.map(\.name), samplers: shown + Self.referenceNames, seeds: seeds.count).render())
    }
}

/// The suite's report: regret @50 (median and quartiles) and rank per function and sampler,
/// medians @25/@100, the share of functions where the default sampler is at or below the best
/// reference and at or below random, and the diagnostics.
struct SuiteTable {
    var results: [String: SuiteResult]
    var functions: [String]
    var samplers: [String]
    var seeds: Int
    var defaultSampler = "auto"

    func result(_ s: String, _ f: String) -> SuiteResult? { results["\(s)/\(f)"] }

    static func number(_ v: Double) -> String {
        if v == 0 { return "0" }
        return String(format: "%.2g", v)
    }

    func render() -> String {
        let present = samplers.filter { s in functions.contains { result(s, $0) != nil } }
        var lines: [String] = []
        lines.append("Median regret @50 (q25–q75) and rank among the samplers shown, \(seeds) seeds, one random instance per seed")
        lines.append("")
        // Seeds behind each column (the references may have run fewer in the time they had).
        let header = present.map { s -> String in
            let counts = functions.compactMap { result(s, $0)?.curves.count }
            guard let lo = counts.min(), let hi = counts.max() else { return s }
            return lo == seeds && hi == seeds ? s : "\(s) (\(lo == hi ? "\(lo)" : "\(lo)–\(hi)") seeds)"
        }
        lines.append("| function | " + header.joined(separator: " | ") + " |")
        lines.append("| --- |" + String(repeating: " --- |", count: present.count))
        var wins = 0, notWorseThanRandom = 0, compared = 0
        for f in functions {
            let medians = present.map { result($0, f)?.regret(at: 50)?.median }
            let known = medians.compactMap { $0 }
            var cells: [String] = []
            for (k, s) in present.enumerated() {
                guard let q = result(s, f)?.regret(at: 50), let m = medians[k] else { cells.append("–"); continue }
                let rank = 1 + known.filter { $0 < m }.count
                cells.append("\(Self.number(q.median)) (\(Self.number(q.q25))–\(Self.number(q.q75))) #\(rank)")
            }
            lines.append("| \(f) | " + cells.joined(separator: " | ") + " |")
            let refs = SuiteBench.referenceNames.compactMap { result($0, f)?.regret(at: 50)?.median }
            if let mine = result(defaultSampler, f)?.regret(at: 50)?.median, let bestRef = refs.min() {
                compared += 1
                if mine <= bestRef * (1 + 1e-9) { wins += 1 }
            }
            if let mine = result(defaultSampler, f)?.regret(at: 50)?.median,
                let random = result("random", f)?.regret(at: 50)?.median, mine <= random
            {
                notWorseThanRandom += 1
            }
        }
        lines.append("")
        lines.append("\(defaultSampler) at or below the best reference @50: \(wins) of \(compared) functions; at or below random: \(notWorseThanRandom) of \(functions.count)")
        lines.append("")
        lines.append("Median regret @25 / @50 / @100")
        lines.append("")
        lines.append("| function | " + present.joined(separator: " | ") + " |")
        lines.append("| --- |" + String(repeating: " --- |", count: present.count))
        for f in functions {
            let cells = present.map { s -> String in
                guard let r = result(s, f) else { return "–" }
                return [25, 50, 100].map { r.regret(at: $0).map { Self.number($0.median) } ?? "–" }.joined(separator: " / ")
            }
            lines.append("| \(f) | " + cells.joined(separator: " | ") + " |")
        }
        lines.append("")
        lines.append("Proposals after the 10 start-up trials: share with a float coordinate within 1% of a bound / within 1e-3 of an earlier trial; mean suggestion ms")
        lines.append("")
        for s in present where functions.contains(where: { !(result(s, $0)?.boundaryFraction.isNaN ?? true) }) {
            let rs = functions.compactMap { result(s, $0) }
            let b = rs.map(\.boundaryFraction).reduce(0, +) / Double(rs.count)
            let d = rs.map(\.duplicateFraction).reduce(0, +) / Double(rs.count)
            let worstB = rs.max { $0.boundaryFraction < $1.boundaryFraction }
            let worstD = rs.max { $0.duplicateFraction < $1.duplicateFraction }
            let ms = rs.map(\.suggestMs).reduce(0, +) / Double(rs.count)
            lines.append(String(
                format: "%-10@ boundary %4.1f%% (worst %4.1f%% %@), duplicates %4.1f%% (worst %4.1f%% %@), %.2f ms",
                s, 100 * b, 100 * (worstB?.boundaryFraction ?? 0), worstB?.function ?? "",
                100 * d, 100 * (worstD?.duplicateFraction ?? 0), worstD?.function ?? "", ms))
        }
        return lines.joined(separator: "\n")
    }
}
