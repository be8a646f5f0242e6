import ArgumentParser
import Foundation
import TunaData
import TunaSearch
import TunaProtocol
import TunaSpec
import TunaTemplate

/// `tuna validate STUDY.yaml`: parses a study file and prints what it understood (with the
/// data's load summary), or its errors with file:line:column, exiting non-zero. Warnings
/// (file:line:column: warning: ...) go to stderr and leave the exit status 0.
struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a study file and print the study it describes.")

    @Argument(help: "Study files to check.")
    var studies: [String]

    func run() throws {
        var failed = false
        for path in studies {
            do {
                let checked = try Study.check(path: path)
                for warning in checked.warnings { FileHandle.standardError.write(Data("\(warning)\n".utf8)) }
                print(Self.summary(checked.study, data: checked.data))
            } catch {
                FileHandle.standardError.write(Data("\(error)\n".utf8))
                failed = true
            }
        }
        if failed { throw ExitCode(2) }
    }

    static func summary(_ study: Study, data summary: DataSummary?) -> String {
        var lines = ["\(study.file): ok", "  study      \(study.name) (sha256 \(study.hash.prefix(12)))"]
        switch study.objective {
        case .network:
            if let summary {
                lines += summary.lines
            } else if let data = study.data {
                lines.append("  data       \(data.path) -> \(data.target) (\(data.task.rawValue))")
            }
        case .function(let name): lines.append("  objective  function \(name)")
        case .command(let command): lines.append("  objective  command \(command.arguments.joined(separator: " ")) (timeout \(Int(command.timeout)) s)")
        }
        let s = study.search
        if let multi = s.multiObjective {
            let metrics = s.objectives.map { "\($0.direction.rawValue) \($0.name)" }.joined(separator: ", ")
            var sampler = multi.sampler.rawValue
            if multi.sampler == .nsga2 { sampler += " (population \(multi.populationSize), \(multi.crossover.rawValue) crossover)" }
            lines.append("  search     \(sampler), \(metrics), \(s.trials) trials, \(s.folds) folds, seed \(s.seed)")
            if let reference = multi.referencePoint {
                lines.append("  reference  \(zip(s.objectives, reference).map { "\($0.name) \($1)" }.joined(separator: ", ")) (hypervolume)")
            }
        } else {
            lines.append("  search     \(s.algorithm.rawValue), \(s.direction.rawValue) \(s.metric), \(s.trials) trials, \(s.folds) folds, seed \(s.seed)")
        }
        if let pruner = s.pruner { lines.append("  pruner     \(describe(pruner))") }
        for parameter in s.space.parameters {
            var line = "  param      \(parameter.name): \(describe(parameter.domain))"
            if let condition = parameter.when { line += " when \(condition)" }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }

    static func describe(_ pruner: PrunerConfig) -> String {
        switch pruner {
        case .none: return "none"
        case .median(let p): return "median (startup \(p.startupTrials) trials, warm-up \(p.warmupSteps) steps)"
        case .percentile(let p): return "percentile \(p.percentile) (startup \(p.startupTrials) trials, warm-up \(p.warmupSteps) steps)"
        case .successiveHalving(let p): return "successive halving (reduction factor \(p.reductionFactor))"
        case .hyperband(let p): return "hyperband (reduction factor \(p.reductionFactor))"
        }
    }

    static func describe(_ domain: Domain) -> String {
        switch domain {
        case .float(let d): return "float [\(d.low), \(d.high)]\(d.log ? " log" : "")\(d.step.map { " step \($0)" } ?? "")"
        case .int(let d): return "int [\(d.low), \(d.high)]\(d.log ? " log" : "")\(d.step != 1 ? " step \(d.step)" : "")"
        case .categorical(let values): return "choice [\(values.map(\.description).joined(separator: ", "))]"
        case .fixed(let value): return "fixed \(value)"
        }
    }
}
