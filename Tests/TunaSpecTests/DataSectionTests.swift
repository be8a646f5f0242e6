import Foundation
import Testing
import TunaData
import TunaTemplate
@testable import TunaSpec

/// The data section's reading options, the load-time checks on the preprocessed features, the
/// load summary and the unused-parameter warning, through `Study.check` as `validate` runs it.
@Suite struct DataSectionTests {
    /// A small network study over the folder's data.csv (columns a, b, target) with `data`.
    func study(data: String, preprocess: String = "", parameters: String = "    lr: {float: [0.001, 0.1], log: true}\n") -> String {
        """
        name: s
        data: \(data)
        \(preprocess.isEmpty ? "" : "preprocess: \(preprocess)\n")model:
          layers: [{dense: {units: 4, activation: relu}}, {dense: {units: 2, activation: softmax}}]
          loss: sparse_categorical_crossentropy
          optimizer: {name: adam, learning_rate: "$lr"}
          epochs: 1
        search:
          folds: 2
          trials: 1
          parameters:
        \(parameters)
        """
    }

    func check(_ folder: StudyFolder, _ yaml: String) throws -> CheckedStudy {
        let path = folder.url.appendingPathComponent("study.yaml").path
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return try Study.check(path: path)
    }

    @Test func readingOptionsAreMisusedWithALocatedError() throws {
        let folder = try StudyFolder()
        #expect(folder.error(study(data: "{path: data.csv, target: target, drop: [a, target]}"))
            .hasPrefix("study.yaml:2:46: error: drop lists the target column 'target'"))
        #expect(folder.error(study(data: "{path: data.csv, target: target, index_col: [a, b]}"))
            .hasPrefix("study.yaml:2:51: error: index_col names one column"))
        #expect(folder.error(study(data: "{path: data.csv, target: target, index_col: a, drop: [a]}"))
            .contains("index_col 'a' is also in drop"))
        #expect(folder.error(study(data: "{path: data.csv, target: target, columns: {a: numerc}}"))
            == "study.yaml:2:53: error: column 'a': the type is numeric or categorical, got 'numerc' (did you mean 'numeric'?)")
        #expect(folder.error(study(data: "{path: data.csv, target: target, na_value: [\"-\"]}"))
            .hasPrefix("study.yaml:2:40: error: unknown key 'na_value' in data (did you mean 'na_values'?)"))
        let many = (0..<65).map { "m\($0)" }.joined(separator: ", ")
        #expect(folder.error(study(data: "{path: data.csv, target: target, na_values: [\(many)]}"))
            .contains("na_values has 65 entries; the limit is 64"))
        let names = (0..<10_001).map { "c\($0)" }.joined(separator: ", ")
        #expect(folder.error(study(data: "{path: data.csv, target: target, drop: [\(names)]}"))
            .contains("drop lists 10001 columns; the limit is 10000"))
        #expect(folder.error(study(data: "{path: data.csv, target: target, features: [a, b], drop: [b]}"))
            .contains("drop lists 'b', which data.features also lists"))
        let long = String(repeating: "x", count: 65)
        #expect(folder.error(study(data: "{path: data.csv, target: target, na_values: [\(long)]}"))
            .contains("at most 64 bytes"))
    }

    @Test func columnsTheFileLacksAreNamedWithTheFile() throws {
        let folder = try StudyFolder()
        let drop = folder.error(study(data: "{path: data.csv, target: target, drop: [bb]}"))
        #expect(drop.hasPrefix("study.yaml:2:47: error: the dropped column 'bb' is not in the header of "), "\(drop)")
        #expect(drop.contains("data.csv (did you mean 'b'?)"), "\(drop)")
        let index = folder.error(study(data: "{path: data.csv, target: target, index_col: id}"))
        #expect(index.hasPrefix("study.yaml:2:51: error: the index column 'id' is not in the header"), "\(index)")
        let typed = folder.error(study(data: "{path: data.csv, target: target, columns: {c: numeric}}"))
        #expect(typed.hasPrefix("study.yaml:2:50: error: the typed column 'c' is not in the header"), "\(typed)")
    }

    @Test func theSummarySaysWhatWasLoaded() throws {
        let folder = try StudyFolder()
        let checked = try check(folder, study(data: "{path: data.csv, target: target, index_col: a, test: 0.2}"))
        let summary = try #require(checked.data)
        #expect(summary.featureColumns == ["b"] && summary.indexColumn == "a")
        #expect(summary.rows == 10 && summary.rowsWithoutTarget == 0)
        #expect(summary.classCounts == [.init(name: "x", rows: 5), .init(name: "y", rows: 5)])
        #expect(summary.testRows == 2 && summary.searchRows == 8 && summary.inputWidth == 1)
        #expect(summary.lines.contains("  classes    2: x 5, y 5"), "\(summary.lines)")
        #expect(summary.lines.contains("  index      a (row labels, not a feature)"), "\(summary.lines)")
        #expect(checked.warnings.isEmpty)
    }

    /// A submitted study's data arrive as bytes; the test file it names is a path on the
    /// daemon's machine, which the checks must not open (here: a file that is no data set).
    @Test func aSubmittedStudysTestFileIsNotOpened() throws {
        let folder = try StudyFolder()
        let text = study(data: "{path: elsewhere.csv, target: target, test: /etc/passwd}")
        let submitted = try Study.parse(text: text, file: "study.yaml", dataPath: folder.url.appendingPathComponent("data.csv").path)
        let summary = try submitted.checkNetwork()
        #expect(summary?.testRows == nil && summary?.rows == 10)
        // From the person's own disk, the test file is read and counted (and this one refused).
        try text.replacingOccurrences(of: "elsewhere.csv", with: "data.csv").write(
            to: folder.url.appendingPathComponent("local.yaml"), atomically: true, encoding: .utf8)
        #expect { try Study.check(path: folder.url.appendingPathComponent("local.yaml").path) } throws: {
            "\($0)".contains("the test file cannot be used")
        }
    }

    @Test func categoricalColumnsNeedAnEncodingStep() throws {
        let folder = try StudyFolder()
        let typed = study(data: "{path: data.csv, target: target, columns: {a: categorical}}")
        let refused = folder.error(typed)
        #expect(refused.hasPrefix("study.yaml:2:7: error: column 'a' of "), "\(refused)")
        #expect(refused.contains("holds categories and no preprocessing step encodes it; add {onehot: [a]}"), "\(refused)")
        let encoded = try check(folder, study(data: "{path: data.csv, target: target, columns: {a: categorical}}", preprocess: "[{onehot: [a]}]"))
        #expect(encoded.data?.inputWidth == 11, "10 one-hot columns for a, and b")
        #expect(encoded.data?.categoricalColumns == ["a"])
    }

    @Test func inputShapeMustMatchThePreprocessedFeatures() throws {
        let folder = try StudyFolder()
        // Two raw columns, but a one-hot a makes 11 values per example.
        let refused = folder.error(study(data: "{path: data.csv, target: target, input_shape: [2], columns: {a: categorical}}", preprocess: "[{onehot: [a]}]"))
        #expect(refused.hasPrefix("study.yaml:2:53: error: input_shape [2] holds 2 values per example, but after preprocessing each example has 11 values"), "\(refused)")
        #expect(refused.contains("i.e. input_shape [11]"), "\(refused)")
        let fits = try check(folder, study(data: "{path: data.csv, target: target, input_shape: [11], columns: {a: categorical}}", preprocess: "[{onehot: [a]}]"))
        #expect(fits.data?.inputShape == [11])
    }

    @Test func parametersNothingUsesAreWarnedAbout() throws {
        let folder = try StudyFolder()
        // The toy study samples momentum and never reads it; units_2 and units_3 are read
        // through "$units_{i}", optimizer through "$optimizer".
        let checked = try check(folder, mlpStudy)
        #expect(checked.warnings.map(\.description).map { $0.replacingOccurrences(of: folder.url.path + "/", with: "") }
            == ["study.yaml:31:5: warning: parameter 'momentum' is sampled but nothing uses it (no '$momentum' placeholder in the model); remove it or use it"])
        let used = mlpStudy.replacingOccurrences(of: "learning_rate: \"$lr\"}", with: "learning_rate: \"$lr\", momentum: \"$momentum\"}")
        #expect(try check(folder, used).warnings.isEmpty)
        // A parameter that only switches another one on counts as used when that one is.
        let parentOnly = study(
            data: "{path: data.csv, target: target}",
            parameters: "    lr: {float: [0.001, 0.1], when: {mode: fast}}\n    mode: {choice: [fast, slow]}\n    extra: {int: [1, 3]}\n")
        #expect(try check(folder, parentOnly).warnings.map(\.message) == ["parameter 'extra' is sampled but nothing uses it (no '$extra' placeholder in the model); remove it or use it"])
        let command = try Study.parse(text: """
            name: c
            objective: {command: [run, "--lr={lr}"]}
            search: {parameters: {lr: {float: [0.1, 1]}, seed: {int: [1, 2]}}}
            """, file: "c.yaml")
        #expect(command.unusedParameters().map(\.message) == ["parameter 'seed' is sampled but nothing uses it (no '{seed}' in the command); remove it or use it"])
    }
}
