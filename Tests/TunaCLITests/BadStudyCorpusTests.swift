import Foundation
import Testing

/// The bad-input corpus (Tests/Corpus/bad-studies): every file is a study (or points at a data
/// file) that must be refused by `tuna validate` with exit status 2, a message naming the file
/// (at the expected line:column) and the expected text, quickly — never a crash, a hang or a
/// runaway allocation. `expected.txt` pairs each file with what its message must hold, so a new
/// file without an expectation (or a stale expectation) fails the test.
@Suite struct BadStudyCorpusTests {
    static let corpus = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Corpus")
    static let folder = corpus.appendingPathComponent("bad-studies")

    struct Expectation: Sendable {
        var file: String
        var text: String
        /// `line:column`, or nil when the error has no place in the file (unreadable, empty).
        var location: String?
    }

    /// `file | text | line:column` per line (`-` for no location); `#` starts a comment.
    static func expectations() throws -> [Expectation] {
        let text = try String(contentsOf: folder.appendingPathComponent("expected.txt"), encoding: .utf8)
        return text.split(separator: "\n").compactMap { line in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty, !trimmed.hasPrefix("#") else { return nil }
            let parts = trimmed.components(separatedBy: " | ").map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 3 else { return Expectation(file: trimmed, text: "<malformed expectation line>", location: nil) }
            return Expectation(file: parts[0], text: parts[1], location: parts[2] == "-" ? nil : parts[2])
        }
    }

    /// Runs `tuna validate` on each file, a few at a time (the machine's cores are shared).
    static func validate(_ paths: [String], in workspace: Workspace) throws -> [(status: Int32, exited: Bool, errors: String)] {
        var results: [(Int32, Bool, String)] = []
        for start in stride(from: 0, to: paths.count, by: 6) {
            let batch = try paths[start..<min(start + 6, paths.count)].map { try TunaProcess(["validate", $0], in: workspace.url) }
            for process in batch {
                let status = process.wait(timeout: 20)
                results.append((status, process.process.terminationReason == .exit, process.errors))
            }
        }
        return results
    }

    @Test func everyBadStudyIsRefusedWithItsMessage() throws {
        let expected = try Self.expectations()
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.folder.path).filter { $0.hasSuffix(".yaml") }.sorted()
        #expect(files.count >= 40, "the corpus holds \(files.count) studies")
        #expect(Set(files) == Set(expected.map(\.file)), "files without expectations: \(Set(files).subtracting(expected.map(\.file)).sorted()); expectations without files: \(Set(expected.map(\.file)).subtracting(files).sorted())")
        let workspace = try Workspace()
        let started = Date()
        let paths = expected.map { Self.folder.appendingPathComponent($0.file).path }
        let results = try Self.validate(paths, in: workspace)
        for ((expectation, path), result) in zip(zip(expected, paths), results) {
            #expect(result.exited && result.status == 2, "\(expectation.file): status \(result.status), exited normally \(result.exited); stderr: \(result.errors)")
            let place = expectation.location.map { "\(path):\($0): error: " } ?? "\(path)"
            #expect(result.errors.contains(place), "\(expectation.file): expected the message at \(place); stderr: \(result.errors)")
            #expect(result.errors.contains(expectation.text), "\(expectation.file): expected '\(expectation.text)'; stderr: \(result.errors)")
        }
        #expect(Date().timeIntervalSince(started) < 30, "the corpus took \(Date().timeIntervalSince(started)) s")
    }

    /// The corpus's studies are one mistake away from this one, which validates: a refusal is
    /// about the mistake, not about the base.
    @Test func theBaseStudyValidates() throws {
        let workspace = try Workspace()
        let (status, output, errors) = try TunaProcess.run(
            ["validate", Self.corpus.appendingPathComponent("good/base.yaml").path], in: workspace.url, timeout: 20)
        #expect(status == 0, "stderr: \(errors)")
        #expect(output.contains(": ok"))
    }

    /// Files too large to keep in the repository: over the size limit, and under it but with
    /// more YAML nodes than the limit allows.
    @Test func oversizedStudiesAreRefusedBeforeParsing() throws {
        let workspace = try Workspace()
        let padding = String(repeating: "# padding padding padding padding padding padding padding padding\n", count: 17_000)
        let large = try workspace.write("large.yaml", "name: large\n" + padding)
        let items = Array(repeating: "1", count: 150_000).joined(separator: ",")
        let nodes = try workspace.write("nodes.yaml", "name: nodes\nsearch: [\(items)]\n")
        let started = Date()
        let results = try Self.validate([large, nodes], in: workspace)
        #expect(results[0].status == 2 && results[0].errors.contains("the limit is 1048576 bytes"), "\(results[0].errors)")
        #expect(results[1].status == 2 && results[1].errors.contains("more than 100000 YAML nodes"), "\(results[1].errors)")
        #expect(results[1].errors.contains("nodes.yaml:"), "\(results[1].errors)")
        #expect(Date().timeIntervalSince(started) < 15)
    }
}
