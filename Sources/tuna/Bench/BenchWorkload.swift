import ArgumentParser
import Foundation

/// A catalogue of reference workloads a bench command picks from by id (`--only W1,W3`), so that
/// `bench train` and `bench accuracy` read the list and refuse unknown ids the same way.
protocol BenchWorkload {
    var id: String { get }
    static var all: [Self] { get }
}

extension BenchWorkload {
    /// The workloads named in `only` (comma-separated ids), in the catalogue's order.
    static func selected(_ only: String) throws -> [Self] {
        let wanted = only.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let unknown = wanted.filter { id in !all.contains { $0.id == id } }
        guard unknown.isEmpty else {
            throw ValidationError(
                "unknown workload(s) \(unknown.joined(separator: ", ")); available: \(all.map(\.id).joined(separator: ", "))")
        }
        return all.filter { wanted.contains($0.id) }
    }
}

extension TrainWorkload: BenchWorkload {}
extension AccuracyWorkload: BenchWorkload {}
