import Foundation
import Testing
import TunaRandom
@testable import TunaSearch

@Suite struct ParetoTests {
    /// Ranks by the definition: peel off the non-dominated set (checked pairwise) repeatedly.
    func bruteForceRanks(_ points: [[Double]]) -> [Int] {
        var rank = [Int](repeating: -1, count: points.count)
        var level = 0
        while rank.contains(-1) {
            let left = points.indices.filter { rank[$0] == -1 }
            let front = left.filter { i in
                !left.contains { j in
                    zip(points[j], points[i]).allSatisfy { $0 <= $1 } && zip(points[j], points[i]).contains { $0 < $1 }
                }
            }
            for i in front { rank[i] = level }
            level += 1
        }
        return rank
    }

    @Test func ranksMatchBruteForceWithTiesAndDuplicates() {
        var rng = SeededGenerator(seed: 3)
        for m in [2, 3] {
            // Small integer grid: many ties and exact duplicates.
            let points = (0..<40).map { _ in (0..<m).map { _ in Double(rng.nextInt(below: 4)) } }
            #expect(Pareto.ranks(points) == bruteForceRanks(points))
        }
        #expect(Pareto.ranks([[1, 1], [1, 1], [2, 2]]) == [0, 0, 1])
        #expect(Pareto.ranks([]) == [])
        #expect(Pareto.fronts([[3, 0], [0, 3], [2, 2], [3, 3]]) == [[0, 1, 2], [3]])
    }

    /// The scan against the front found so far gives the definition's answer, ties and
    /// duplicates included, and stays fast on a study-sized set.
    @Test func nonDominatedMatchesTheDefinition() {
        var rng = SeededGenerator(seed: 11)
        for m in [2, 3, 4] {
            for size in [0, 1, 7, 60] {
                let points = (0..<size).map { _ in (0..<m).map { _ in Double(rng.nextInt(below: 5)) } }
                let expected = bruteForceRanks(points).enumerated().filter { $0.element == 0 }.map(\.offset)
                #expect(Pareto.nonDominated(points) == expected, "\(points)")
            }
        }
        let many = (0..<100_000).map { _ in [rng.nextDouble(), rng.nextDouble()] }
        let started = Date()
        let front = Pareto.nonDominated(many)
        #expect(!front.isEmpty && Date().timeIntervalSince(started) < 10, "\(Date().timeIntervalSince(started)) s")
        #expect(front.allSatisfy { i in !front.contains { Pareto.dominates(many[$0], many[i]) } })
    }

    @Test func crowdingDistanceOnAHandComputedFront() {
        let d = CrowdingDistance.of([[0, 5], [1, 3], [3, 1], [4, 0]])
        #expect(d[0] == .infinity && d[3] == .infinity)
        #expect(abs(d[1] - (3.0 / 4 + 4.0 / 5)) < 1e-12)
        #expect(abs(d[2] - (3.0 / 4 + 3.0 / 5)) < 1e-12)
        #expect(CrowdingDistance.of([[1, 2], [2, 1]]) == [.infinity, .infinity])
        // A flat objective adds nothing; the ends of the other still get infinity.
        let flat = CrowdingDistance.of([[0, 1], [1, 1], [3, 1]])
        #expect(flat == [.infinity, 1.0, .infinity])
    }

    @Test func hypervolume2DByHand() {
        let staircase: [[Double]] = [[1, 3], [2, 2], [3, 1]]
        #expect(Hypervolume.of(staircase, reference: [4, 4]) == 6)
        // A dominated point, a duplicate, a point beyond and one on the reference change nothing.
        #expect(Hypervolume.of(staircase + [[3, 3], [2, 2], [5, 0], [4, 0.5]], reference: [4, 4]) == 6)
        #expect(Hypervolume.of([], reference: [1, 1]) == 0)
        #expect(Hypervolume.of([[2, 2]], reference: [1, 1]) == 0)
        #expect(Hypervolume.contributions(staircase + [[3, 3]], reference: [4, 4]) == [1, 1, 1, 0])
    }

    @Test func hypervolume3DByHand() {
        #expect(Hypervolume.of([[0, 0, 0]], reference: [1, 2, 3]) == 6)
        // Two boxes of 4 and 2 overlapping in a unit cube.
        #expect(Hypervolume.of([[0, 0, 1], [1, 1, 0], [1, 1, 1]], reference: [2, 2, 2]) == 5)
        // Three boxes of 2, pairwise and triple overlaps of 1: 6 − 3 + 1.
        #expect(Hypervolume.of([[0, 1, 1], [1, 0, 1], [1, 1, 0], [1, 0, 1], [3, 0, 0]], reference: [2, 2, 2]) == 4)
    }

    struct Case: Decodable { var points: [[Double]]; var reference: [Double]; var hypervolume: Double }

    /// Random sets of 2–4 objectives against Optuna's `compute_hypervolume`
    /// (fixture from hypervolume_reference.py).
    @Test func hypervolumeMatchesOptuna() throws {
        let cases = try JSONDecoder().decode([Case].self, from: Data(HypervolumeFixture.json.utf8))
        #expect(cases.count == 24)
        for c in cases {
            let hv = Hypervolume.of(c.points, reference: c.reference)
            #expect(abs(hv - c.hypervolume) <= 1e-9 * max(1, c.hypervolume), "\(c.reference.count) objectives, \(c.points.count) points")
        }
    }

    @Test func paretoFrontOfTrialsHonoursDirections() {
        let directions: [Direction] = [.maximize, .minimize]  // accuracy up, latency down
        let trials = [
            MultiObjectiveTrial(number: 0, state: .complete, params: [:], values: [0.9, 20]),
            MultiObjectiveTrial(number: 1, state: .complete, params: [:], values: [0.8, 5]),
            MultiObjectiveTrial(number: 2, state: .complete, params: [:], values: [0.7, 10]),  // dominated by 1
            MultiObjectiveTrial(number: 3, state: .complete, params: [:], values: [0.95, .nan]),
            MultiObjectiveTrial(number: 4, state: .fail, params: [:]),
            MultiObjectiveTrial(number: 5, state: .complete, params: [:], values: [0.9, 20]),  // duplicate of 0
        ]
        #expect(ParetoFront.of(trials, directions: directions).map(\.number) == [0, 1, 5])
        // Reference (0.5, 30): boxes 0.4×10 (accuracy ≥ 0.9 down to latency 20) and 0.3×25.
        let hv = ParetoFront.hypervolume(trials, directions: directions, reference: [0.5, 30])
        #expect(abs(hv - (0.3 * 25 + 0.1 * 10)) < 1e-12)
    }
}
