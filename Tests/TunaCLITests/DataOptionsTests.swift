import Foundation
import Testing

/// The data section's reading options and the load summary, end to end through the command:
/// `validate` prints the summary and warns (exit 0); `run` prints the same block before it
/// starts, and not with `--quiet`.
@Suite struct DataOptionsTests {
    static let study = BadStudyCorpusTests.corpus.appendingPathComponent("good/people.yaml").path

    /// What people.csv holds once read: row 10 has no label; "?", "-" mark three cells missing.
    static let summary = [
        "  index      id (row labels, not a feature)",
        "  dropped    name (data.drop)",
        "  categories city",
        "  missing    1 row without a target dropped; 3 missing feature cells",
        "  classes    2: a 5, b 4",
        "  input      5 values per example after preprocessing",
    ]

    @Test func validatePrintsTheLoadSummaryAndWarnsWithoutFailing() throws {
        let workspace = try Workspace()
        let (status, output, errors) = try TunaProcess.run(["validate", Self.study], in: workspace.url, timeout: 20)
        #expect(status == 0, "stderr: \(errors)")
        #expect(output.contains("people.csv: 9 rows, 3 feature columns (1 categorical), target 'label' (classification)"), "\(output)")
        for line in Self.summary { #expect(output.contains(line + "\n"), "missing '\(line)' in:\n\(output)") }
        #expect(errors.contains("\(Self.study):26:5: warning: parameter 'momentum' is sampled but nothing uses it"), "\(errors)")
    }

    @Test func runPrintsTheSameSummaryOnceAtTheStart() throws {
        let workspace = try Workspace()
        let (status, _, errors) = try TunaProcess.run(
            ["run", Self.study, "--workers", "1", "--db", workspace.db], in: workspace.url, timeout: 60)
        #expect(status == 0, "stderr: \(errors)")
        for line in Self.summary {
            #expect(errors.components(separatedBy: line + "\n").count == 2, "'\(line)' not printed once in:\n\(errors)")
        }
        let study = try #require(errors.range(of: "study people:"), "\(errors)")
        let classes = try #require(errors.range(of: "  classes    2: a 5, b 4"), "\(errors)")
        #expect(classes.lowerBound < study.lowerBound, "the summary comes first:\n\(errors)")
        let quiet = try TunaProcess.run(
            ["run", Self.study, "--workers", "1", "--quiet", "--trials", "2", "--db", workspace.db], in: workspace.url, timeout: 60)
        #expect(quiet.0 == 0, "stderr: \(quiet.2)")
        #expect(!quiet.2.contains("  classes"), "--quiet prints no summary: \(quiet.2)")
        #expect(quiet.2.contains("warning: parameter 'momentum'"), "warnings are not progress: \(quiet.2)")
    }
}
