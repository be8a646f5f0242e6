#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Hyperband as Optuna implements it: several ASHA brackets with increasing minimum early
/// stopping rates; each trial belongs to one bracket, chosen by hashing "studyName_number"
/// (CRC-32, as Optuna) into bracket budgets proportional to ⌈B η^s / (s + 1)⌉, and competes
/// only with trials of its own bracket.
public struct HyperbandPruner: Pruner, Codable, Hashable {
    public var minResource: Int
    /// nil = "auto": the largest last step of the complete trials + 1 (no pruning before then).
    public var maxResource: Int?
    public var reductionFactor: Int
    public var bootstrapCount: Int
    /// Hashed with the trial number to pick the bracket, so brackets match Optuna's for the
    /// same study name.
    public var studyName: String

    public init(minResource: Int = 1, maxResource: Int? = nil, reductionFactor: Int = 3, bootstrapCount: Int = 0, studyName: String = "") {
        self.minResource = minResource
        self.maxResource = maxResource
        self.reductionFactor = reductionFactor
        self.bootstrapCount = bootstrapCount
        self.studyName = studyName
    }

    public init(from decoder: any Decoder) throws {
        let settings = try PrunerSettings(
            decoder, pruner: "hyperband", known: ["min_resource", "max_resource", "reduction_factor", "bootstrap_count", "study_name"])
        self.init(
            minResource: try settings.int("min_resource", default: 1, minimum: 1),
            maxResource: try settings.optionalInt("max_resource", minimum: 1),
            reductionFactor: try settings.int("reduction_factor", default: 3, minimum: 2),
            bootstrapCount: try settings.int("bootstrap_count", default: 0),
            studyName: try settings.string("study_name", default: ""))
    }

    public func encode(to encoder: any Encoder) throws {
        var writer = PrunerSettingsWriter(encoder)
        try writer.set("min_resource", minResource)
        try writer.set("max_resource", maxResource)
        try writer.set("reduction_factor", reductionFactor)
        try writer.set("bootstrap_count", bootstrapCount)
        try writer.set("study_name", studyName)
    }

    /// Trial budget of each bracket (bracket 0 prunes most aggressively).
    func budgets(maxResource: Int) -> [Int] {
        let eta = Double(max(reductionFactor, 2))
        let ratio = Double(maxResource) / Double(max(minResource, 1))
        // Degenerate ranges get one bracket; absurd ones are capped so budgets stay integers.
        let exact = ratio >= 1 ? (log(ratio) / log(eta)).rounded(.down) + 1 : 1
        let cap = (12 / log10(eta)).rounded(.down) + 1
        let brackets = Int(min(max(exact.isFinite ? exact : 1, 1), cap))
        return (0..<brackets).map { i in
            let s = brackets - 1 - i
            return Int((Double(brackets) * pow(eta, Double(s)) / Double(s + 1)).rounded(.up))
        }
    }

    func resolvedMaxResource(_ history: [Trial]) -> Int? {
        if let maxResource { return maxResource }
        let steps = history.filter { $0.state == .complete }.compactMap(\.lastStep)
        guard let m = steps.max() else { return nil }
        return m + 1
    }

    /// The bracket of trial `number`.
    public func bracket(of number: Int, maxResource: Int) -> Int {
        let budgets = budgets(maxResource: maxResource)
        let total = budgets.reduce(0, +)
        var n = Int(CRC32.checksum(Array("\(studyName)_\(number)".utf8))) % max(total, 1)
        for (i, b) in budgets.enumerated() {
            n -= b
            if n < 0 { return i }
        }
        return budgets.count - 1
    }

    public func shouldPrune(_ trial: Trial, step: Int, history: [Trial], direction: Direction) -> Bool {
        guard let maxRes = resolvedMaxResource(history) else { return false }
        let b = bracket(of: trial.number, maxResource: maxRes)
        let peers = history.filter { bracket(of: $0.number, maxResource: maxRes) == b }
        let asha = SuccessiveHalvingPruner(
            minResource: minResource, reductionFactor: reductionFactor, minEarlyStoppingRate: b,
            bootstrapCount: bootstrapCount)
        return asha.shouldPrune(trial, step: step, history: peers, direction: direction)
    }
}

/// CRC-32 (IEEE 802.3, as zlib and Python's `binascii.crc32`).
enum CRC32 {
    static let table: [UInt32] = (0..<256).map { i in
        var c = UInt32(i)
        for _ in 0..<8 { c = c & 1 == 1 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes { c = table[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }
}
