import Foundation

/// The `data:` section: where the examples are and what to predict.
public struct DataSpec: Sendable, Hashable, Codable {
    public enum Task: String, Sendable, Hashable, Codable, CaseIterable { case classification, regression }

    /// The data file, resolved against the study file's folder.
    public var path: String
    /// The column (CSV) or array (NPZ) to predict.
    public var target: String
    public var task: Task
    /// Reshape each row's features to this shape (images `[h, w, c]`, sequences `[t, f]`).
    public var inputShape: [Int]?
    /// Columns to use as features (default: every column but the target).
    public var features: [String]?
    /// For NPZ archives: the array holding the features.
    public var featuresKey: String?
    /// Held-out test rows, never seen by the search: a fraction of the data file (split once,
    /// seeded, stratified for classification) or a separate file (resolved like `path`).
    public var test: TestData?
    /// How a CSV file is read: columns left out, the row-label column, extra missing-value
    /// markers and declared column types (see `ReadingOptions`).
    public var reading = ReadingOptions()

    /// Where a study's test rows come from.
    public enum TestData: Sendable, Hashable, Codable {
        case fraction(Double)
        case file(String)
    }

    static let keys = ["path", "target", "task", "input_shape", "features", "features_key", "test"] + ReadingOptions.keys

    /// `checkFiles: false` is for workers, which receive the data by content hash and may not
    /// have the file at that path.
    init(_ node: SpecNode, studyFile: String, checkFiles: Bool = true) throws {
        try node.checkKeys(Self.keys, in: "data")
        guard let pathNode = node["path"], let relative = pathNode.text else { throw node.error("data needs a 'path'") }
        let absolute = studyFile.hasPrefix("/")
            ? URL(fileURLWithPath: studyFile)
            : URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(studyFile)
        let folder = absolute.deletingLastPathComponent()
        let resolved = relative.hasPrefix("/") ? URL(fileURLWithPath: relative) : folder.appendingPathComponent(relative)
        path = resolved.standardized.path
        guard !checkFiles || FileManager.default.fileExists(atPath: path) else {
            throw pathNode.error("data file '\(relative)' not found (looked for \(path); paths are relative to the study file)")
        }
        guard let target = node["target"]?.text else { throw node.error("data needs a 'target'") }
        self.target = target
        let taskName = node["task"]?.text ?? "classification"
        guard let task = Task(rawValue: taskName) else {
            throw (node["task"] ?? node).error("task is 'classification' or 'regression', got '\(taskName)'")
        }
        self.task = task
        inputShape = try node["input_shape"].map { try $0.decode([Int].self, what: "data.input_shape") }
        if let shape = inputShape, shape.isEmpty || shape.contains(where: { $0 <= 0 }) {
            throw (node["input_shape"] ?? node).error("input_shape needs positive extents, got \(shape)")
        }
        if let shape = inputShape {
            // Checked with overflow detection before anything allocates an example of this shape.
            let shapeNode = node["input_shape"] ?? node
            guard shape.count <= 8, shape.allSatisfy({ $0 <= StudyLimits.maxInputExtent }) else {
                throw shapeNode.error("input_shape \(shape) is too large: at most 8 axes of at most \(StudyLimits.maxInputExtent) each (the limit)")
            }
            var elements = 1
            for extent in shape {
                let (product, overflow) = elements.multipliedReportingOverflow(by: extent)
                guard !overflow, product <= StudyLimits.maxInputElements else {
                    throw shapeNode.error("input_shape \(shape) describes more than \(StudyLimits.maxInputElements) numbers per example (the limit)")
                }
                elements = product
            }
        }
        features = try node["features"].map { try $0.decode([String].self, what: "data.features") }
        featuresKey = node["features_key"]?.text
        reading = try ReadingOptions(node, target: target, features: features, isNPZ: path.lowercased().hasSuffix(".npz"))
        if let testNode = node["test"], let text = testNode.text {
            if let fraction = Double(text) {
                guard fraction > 0, fraction <= 0.5 else {
                    throw testNode.error("'test' is a fraction of the rows in (0, 0.5] or a file, got \(text)")
                }
                test = .fraction(fraction)
            } else {
                let testPath = (text.hasPrefix("/") ? URL(fileURLWithPath: text) : folder.appendingPathComponent(text)).standardized.path
                guard !checkFiles || FileManager.default.fileExists(atPath: testPath) else {
                    throw testNode.error("test file '\(text)' not found (looked for \(testPath); paths are relative to the study file)")
                }
                test = .file(testPath)
            }
        } else if let testNode = node["test"] {
            throw testNode.error("'test' is a fraction of the rows in (0, 0.5] or a file")
        }
    }
}
