/// The Pareto front of a study's trials: what `tuna best` prints for a multi-objective study.
public enum ParetoFront {
    /// The usable trials no other usable trial dominates, in trial-number order. Trials with
    /// identical values are all kept (none dominates the other).
    public static func of(_ trials: [MultiObjectiveTrial], directions: [Direction]) -> [MultiObjectiveTrial] {
        let usable = trials.filter { $0.isUsable(objectives: directions.count) }
        let losses = usable.map { t in zip(directions, t.values ?? []).map { $0.loss($1) } }
        return Pareto.nonDominated(losses).map { usable[$0] }.sorted { $0.number < $1.number }
    }

    /// The hypervolume of the trials' values against `reference` (given in value space, per
    /// the directions: a maximised objective's reference is a lower bound).
    public static func hypervolume(
        _ trials: [MultiObjectiveTrial], directions: [Direction], reference: [Double]
    ) -> Double {
        guard reference.count == directions.count else { return 0 }
        let losses = trials.filter { $0.isUsable(objectives: directions.count) }
            .map { t in zip(directions, t.values ?? []).map { $0.loss($1) } }
        return Hypervolume.of(losses, reference: zip(directions, reference).map { $0.loss($1) })
    }
}
