import Foundation
import Testing
import TunaProtocol
import TunaWire

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

/// The same corpus submitted to a live daemon over its socket (not through `tuna submit`, which
/// refuses them before sending): each is refused with its reason, and the daemon stays up and
/// takes a good study afterwards.
@Suite struct BadStudySubmissionTests {
    @Test func aLiveDaemonRefusesEveryBadStudyAndStaysUp() throws {
        let expected = try BadStudyCorpusTests.expectations()
        let workspace = try Workspace()
        let endpoint = try DaemonTests.freeEndpoint()
        let daemon = try TunaProcess(["daemon", "--bind", endpoint, "--db", workspace.db], in: workspace.url)
        defer {
            kill(daemon.process.processIdentifier, SIGTERM)
            daemon.wait(timeout: 10)
        }
        #expect(daemon.waitForError(containing: "listening at") != nil, "\(daemon.errors)")
        let context = try ZMQContext()
        let client = try ZMQSocket(context, .dealer)
        try client.connect(endpoint)
        func submit(_ text: String, file: String, data: Data?) throws -> ReplyMessage? {
            let declared = data.map { DatasetMessage(hash: sha256Hex($0), fileExtension: extensionOf($0)) }
            try client.send(try Envelope(.submit, SubmitMessage(studyText: text, studyFile: file, dataset: declared), attachment: data.map(Array.init)).frames)
            guard let frames = try client.receive(timeoutMilliseconds: 20_000) else { return nil }
            return try Envelope(frames: frames).decode(ReplyMessage.self)
        }
        func extensionOf(_ data: Data) -> String { data.starts(with: [0x50, 0x4b]) ? "npz" : "csv" }
        var refusedWithReason = 0
        for expectation in expected {
            let path = BadStudyCorpusTests.folder.appendingPathComponent(expectation.file)
            guard let bytes = try? Data(contentsOf: path), bytes.count <= 1 << 20 else { continue }
            let text = String(decoding: bytes, as: UTF8.self)
            // A study's data travel with it, as `tuna submit` sends them.
            let dataPath = text.split(separator: "\n").lazy.compactMap { line -> String? in
                guard let range = line.range(of: "path: ") else { return nil }
                return String(line[range.upperBound...].prefix { !",} ".contains($0) })
            }.first
            let data = dataPath.flatMap { try? Data(contentsOf: path.deletingLastPathComponent().appendingPathComponent($0)) }
            let reply = try submit(text, file: expectation.file, data: data)
            #expect(reply?.ok == false, "\(expectation.file) was accepted: \(reply?.message ?? "no reply")")
            if reply?.message.contains(expectation.text) == true { refusedWithReason += 1 }
        }
        #expect(refusedWithReason >= expected.count * 3 / 4, "\(refusedWithReason) of \(expected.count) refusals gave the validate message")
        let good = try String(contentsOf: BadStudyCorpusTests.corpus.appendingPathComponent("good/base.yaml"), encoding: .utf8)
        let goodData = try Data(contentsOf: BadStudyCorpusTests.folder.appendingPathComponent("data/ok.csv"))
        let accepted = try submit(good, file: "base.yaml", data: goodData)
        #expect(accepted?.ok == true, "\(accepted?.message ?? "no reply")")
        #expect(daemon.process.isRunning)
    }
}
