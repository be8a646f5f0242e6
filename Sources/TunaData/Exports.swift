/// The evaluation metrics moved to their own module so that the network engine can use them
/// without the data layer; re-exported so `import TunaData` keeps offering them.
@_exported import TunaMetrics
