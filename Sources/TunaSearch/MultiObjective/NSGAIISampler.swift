#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TunaRandom

/// NSGA-II (Deb et al. 2002), after Optuna's `NSGAIISampler`: a genetic algorithm whose
/// selection keeps the Pareto front and spreads it out.
///
/// Trials are grouped into generations of `populationSize` by trial number (trial n belongs to
/// generation n / P), so the sampler stays a pure function of its context: the first generation
/// is random; the parent population of generation g is rebuilt on every ask by elite selection
/// over the parents of g − 1 and the complete trials of g − 1 (whole non-dominated fronts while
/// they fit, the last one cut by crowding distance, as Optuna's elite selection). A child takes
/// two parents, each the winner of a binary tournament (lower rank, then larger crowding
/// distance: Deb's rule; Optuna compares by dominance alone and leaves crowding as a TODO, which
/// lets a crowded point win as often as a lonely one on the same front), crosses them with probability `crossoverProbability` (uniform by default, as
/// Optuna; SBX for numeric parameters on request) and mutates each parameter with probability
/// `mutationProbability` (default 1/d) by redrawing it uniformly within its declared range.
///
/// Conditional spaces: the child is built in dependency order; a parameter active in the child
/// but absent from the chosen parent comes from the other parent, or is drawn at random. Every
/// value is checked against its domain, so a parent recorded under an older range never leaks
/// out-of-range values. Parallel workers: each ask draws from a stream fixed by the trial
/// number, and a child equal to a running or finished trial is redrawn (a few times).
public struct NSGAIISampler: MultiObjectiveSampler, Codable, Hashable {
    /// How two parents' parameters are combined.
    public enum Crossover: String, Sendable, Codable, Hashable, CaseIterable {
        /// Each parameter from either parent with probability `swappingProbability`.
        case uniform
        /// Simulated binary crossover on the numeric scale (log for log parameters); other
        /// parameters uniform. Children land near the parents, more so as `sbxEta` grows.
        case sbx
    }

    public var seed: UInt64
    public var populationSize: Int
    public var crossover: Crossover
    public var crossoverProbability: Double
    public var swappingProbability: Double
    /// Nil: 1 / (number of searchable parameters), as Optuna.
    public var mutationProbability: Double?
    public var sbxEta: Double

    public init(
        seed: UInt64 = 0, populationSize: Int = 50, crossover: Crossover = .uniform,
        crossoverProbability: Double = 0.9, swappingProbability: Double = 0.5,
        mutationProbability: Double? = nil, sbxEta: Double = 20
    ) {
        self.seed = seed
        self.populationSize = populationSize
        self.crossover = crossover
        self.crossoverProbability = crossoverProbability
        self.swappingProbability = swappingProbability
        self.mutationProbability = mutationProbability
        self.sbxEta = sbxEta
    }

    /// A member of a population: a trial with its losses.
    struct Individual: Hashable {
        var number: Int
        var params: Parameters
        var losses: [Double]
    }

    public func ask(_ context: MultiObjectiveContext) throws -> Parameters {
        guard populationSize >= 2 else {
            throw SamplerError.invalidOption("population_size must be at least 2 (got \(populationSize))")
        }
        guard (0...1).contains(crossoverProbability), (0...1).contains(swappingProbability),
            (mutationProbability.map { (0...1).contains($0) } ?? true)
        else { throw SamplerError.invalidOption("NSGA-II probabilities must lie in [0, 1]") }
        let ordered = try context.space.orderedParameters()
        let generation = context.trialNumber / populationSize
        let random = RandomSampler(seed: seed)
        guard generation > 0 else { return try random.ask(context.firstObjective) }
        let population = parentPopulation(generation: generation, context: context)
        guard !population.isEmpty else { return try random.ask(context.firstObjective) }

        var rng = SeededGenerator(seed: seed, stream: UInt64(truncatingIfNeeded: context.trialNumber) ^ 0x25_6A11)
        let (rank, crowding) = Self.rankAndCrowding(population)
        func tournament() -> Int {
            let a = rng.nextInt(below: population.count), b = rng.nextInt(below: population.count)
            if rank[a] != rank[b] { return rank[a] < rank[b] ? a : b }
            if crowding[a] != crowding[b] { return crowding[a] > crowding[b] ? a : b }
            return min(a, b)
        }
        let taken = Set(context.running + context.history.map(\.params))
        var child = Parameters()
        for attempt in 0..<8 {
            let first = tournament()
            var second = tournament()
            for _ in 0..<4 where second == first && population.count > 1 { second = tournament() }
            child = makeChild(population[first].params, population[second].params, ordered: ordered, space: context.space, rng: &rng)
            if !taken.contains(child) || attempt == 7 { break }
        }
        return child
    }

    /// The parents of `generation`: elite selection, generation by generation, over the
    /// previous parents and each generation's usable trials.
    func parentPopulation(generation: Int, context: MultiObjectiveContext) -> [Individual] {
        var byGeneration = [[Individual]](repeating: [], count: generation)
        for (t, losses) in context.observations {
            let g = t.number / populationSize
            if t.number >= 0, g < generation { byGeneration[g].append(Individual(number: t.number, params: t.params, losses: losses)) }
        }
        var population: [Individual] = []
        for g in 0..<generation {
            population = Self.eliteSelection(population + byGeneration[g], size: populationSize)
        }
        return population
    }

    /// Whole fronts while they fit, the last one by crowding distance (ties by trial number).
    static func eliteSelection(_ candidates: [Individual], size: Int) -> [Individual] {
        // A trial can reach the candidates twice (kept parent and its own generation): once.
        var seen = Set<Int>()
        let unique = candidates.filter { seen.insert($0.number).inserted }
        guard unique.count > size else { return unique }
        var selected: [Individual] = []
        for front in Pareto.fronts(unique.map(\.losses)) {
            let members = front.map { unique[$0] }
            if selected.count + members.count <= size {
                selected += members
                if selected.count == size { break }
                continue
            }
            let distance = CrowdingDistance.of(members.map(\.losses))
            let order = members.indices.sorted {
                distance[$0] > distance[$1] || (distance[$0] == distance[$1] && members[$0].number < members[$1].number)
            }
            selected += order.prefix(size - selected.count).map { members[$0] }
            break
        }
        return selected
    }

    /// Non-dominated rank and within-front crowding distance of each member.
    static func rankAndCrowding(_ population: [Individual]) -> (rank: [Int], crowding: [Double]) {
        var rank = [Int](repeating: 0, count: population.count)
        var crowding = [Double](repeating: 0, count: population.count)
        for (r, front) in Pareto.fronts(population.map(\.losses)).enumerated() {
            let d = CrowdingDistance.of(front.map { population[$0].losses })
            for (k, i) in front.enumerated() {
                rank[i] = r
                crowding[i] = d[k]
            }
        }
        return (rank, crowding)
    }

    func makeChild(
        _ a: Parameters, _ b: Parameters, ordered: [Parameter], space: SearchSpace, rng: inout SeededGenerator
    ) -> Parameters {
        let searchable = ordered.filter { $0.domain.isSearchable }.count
        let mutation = mutationProbability ?? 1 / Double(max(searchable, 1))
        let crossing = rng.nextDouble() < crossoverProbability
        var child = Parameters()
        for p in ordered where space.isActive(p, given: child) {
            if case .fixed(let v) = p.domain {
                child[p.name] = v
                continue
            }
            // Draws are made unconditionally so that one parameter's branch does not shift
            // the random stream of the next.
            let uMutate = rng.nextDouble(), uSwap = rng.nextDouble(), uSBX = rng.nextDouble(), uSide = rng.nextDouble()
            let uRandom = rng.nextDouble()
            var value: ParameterValue?
            if uMutate >= mutation {
                if !crossing {
                    value = a[p.name] ?? b[p.name]
                } else {
                    let (x, y) = uSwap < swappingProbability ? (b[p.name], a[p.name]) : (a[p.name], b[p.name])
                    value = x ?? y
                    if crossover == .sbx, let scale = p.domain.scale, let xa = a[p.name].flatMap(scale.coordinate(of:)),
                        let xb = b[p.name].flatMap(scale.coordinate(of:))
                    {
                        let t = Self.sbx(xa, xb, lower: scale.lower, upper: scale.upper, eta: sbxEta, u: uSBX, side: uSide)
                        value = scale.value(at: t)
                    }
                }
            }
            if let v = value, p.domain.contains(v) {
                child[p.name] = v
            } else {
                child[p.name] = p.domain.value(atUnit: uRandom)
            }
        }
        return child
    }

    /// Deb & Agrawal's bounded simulated binary crossover of `x1` and `x2` within
    /// `[lower, upper]`: one of the two children (chosen by `side`), from the spread factor
    /// drawn with `u`. Equal parents give the parent back.
    static func sbx(_ x1: Double, _ x2: Double, lower: Double, upper: Double, eta: Double, u: Double, side: Double) -> Double {
        let y1 = min(x1, x2), y2 = max(x1, x2)
        guard y2 - y1 > 1e-14, upper > lower else { return x1 }
        func betaQ(_ beta: Double) -> Double {
            let alpha = 2 - pow(beta, -(eta + 1))
            return u <= 1 / alpha
                ? pow(u * alpha, 1 / (eta + 1))
                : pow(1 / max(2 - u * alpha, 1e-300), 1 / (eta + 1))
        }
        let c1 = 0.5 * ((y1 + y2) - betaQ(1 + 2 * (y1 - lower) / (y2 - y1)) * (y2 - y1))
        let c2 = 0.5 * ((y1 + y2) + betaQ(1 + 2 * (upper - y2) / (y2 - y1)) * (y2 - y1))
        return min(max(side < 0.5 ? c1 : c2, lower), upper)
    }
}
