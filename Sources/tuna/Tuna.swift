import ArgumentParser

/// The `tuna` command line.
@main
struct Tuna: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tuna",
        abstract: "Tuna: hyperparameter tuning for neural networks.",
        version: "0.1.0",
        subcommands: [Run.self, Daemon.self, Submit.self, Status.self, Stop.self, WorkerCommand.self, Launch.self, KeyGen.self, CommandGuardCommand.self, Best.self, Trials.self, Studies.self, Delete.self, Validate.self, Export.self, Predict.self, Evaluate.self, FineTune.self, Serve.self, DashboardCommand.self, ReportCommand.self, Bench.self])
}

/// Benchmarks that print their figures beside the reference tools'.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure training speed and search quality beside the reference tools.",
        subcommands: [BenchTrain.self, BenchSearch.self, BenchMulti.self, BenchDaemon.self, BenchData.self, BenchAccuracy.self, BenchServe.self, BenchSimWorkers.self])
}
