import Foundation
import Testing
@testable import TunaData

/// Shared helpers: fixture files, the project's data sets, temporary files, tolerances.
enum Fixture {
    /// The URL of a file in the test bundle's Fixtures folder.
    static func url(_ name: String) throws -> URL {
        let base = try #require(Bundle.module.resourceURL)
        return base.appendingPathComponent("Fixtures").appendingPathComponent(name)
    }

    static func path(_ name: String) throws -> String { try url(name).path }

    /// A fixture JSON file decoded as a loose dictionary.
    static func json(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: try url(name))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// The repository's datasets folder (tests run from a checkout).
    static func dataset(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("datasets").appendingPathComponent(name).path
    }

    /// Writes `text` to a fresh temporary file called `name` and returns its path. Each file gets
    /// a folder of its own (tests run in parallel and reuse names) inside one folder per test
    /// process, removed when the process exits.
    static func temporary(_ name: String, _ text: String) throws -> String {
        let folder = temporaryRoot.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let url = folder.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url.path
    }
}

/// The folder `Fixture.temporary` writes into; `atexit` removes it, since swift-testing has no
/// hook after the last test.
private let temporaryRoot: URL = {
    let root = FileManager.default.temporaryDirectory
        .appendingPathComponent("tuna-data-tests-\(ProcessInfo.processInfo.processIdentifier)")
    atexit { try? FileManager.default.removeItem(at: temporaryRoot) }
    return root
}()

extension Dictionary where Key == String, Value == Any {
    func double(_ key: String) throws -> Double { try #require((self[key] as? NSNumber)?.doubleValue, "\(key)") }
    func ints(_ key: String) throws -> [Int] { try #require((self[key] as? [NSNumber])?.map(\.intValue), "\(key)") }
    func doubles(_ key: String) throws -> [Double] { try #require((self[key] as? [NSNumber])?.map(\.doubleValue), "\(key)") }
    func matrix(_ key: String) throws -> [[Double]] {
        let rows = try #require(self[key] as? [[Any]], "\(key)")
        return rows.map { $0.map { ($0 as? NSNumber)?.doubleValue ?? .nan } }
    }
    func dict(_ key: String) throws -> [String: Any] { try #require(self[key] as? [String: Any], "\(key)") }
    func string(_ key: String) throws -> String { try #require(self[key] as? String, "\(key)") }
}

func close(_ a: Double, _ b: Double, _ tolerance: Double = 1e-9) -> Bool {
    if a.isNaN && b.isNaN { return true }
    return abs(a - b) <= tolerance * max(1, abs(a), abs(b))
}

/// The message a thrown DataError prints (file:line:column: message).
func message(of body: () throws -> Void) -> String? {
    do {
        try body()
        return nil
    } catch let error as DataError {
        return error.description
    } catch {
        return "not a DataError: \(error)"
    }
}
