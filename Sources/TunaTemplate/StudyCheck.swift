import TunaData
import TunaNN
import TunaSpec

/// What a study file says that only the engine and the data pipeline can check. `Study.parse`
/// reads the file's structure without them, so that the scheduler never links the network
/// engine; every process that accepts a study from a person or a peer also runs these checks,
/// so a misspelt layer or a network that cannot be built fails at load, with its line, rather
/// than as every trial's error.
extension Study {
    /// Reads a study file and runs every check (structure, preprocessing, network).
    public static func loadChecked(path: String) throws -> Study {
        let study = try load(path: path)
        try study.checkNetwork()
        return study
    }

    /// `parse` followed by the network checks.
    public static func parseChecked(text: String, file: String, checkFiles: Bool = true) throws -> Study {
        let study = try parse(text: text, file: file, checkFiles: checkFiles)
        try study.checkNetwork()
        return study
    }

    /// The network with its placeholders checked (nil for function and command objectives).
    public func modelTemplate() throws -> ModelTemplate? {
        try model.map { try ModelTemplate($0, space: search.space) }
    }

    /// The preprocessing steps as the data pipeline reads them.
    public func pipeline() throws -> Pipeline {
        try preprocess.map { try $0.decode(Pipeline.self, what: "preprocess") } ?? Pipeline()
    }

    /// Preprocessing step names, the model template (placeholders, and every layer setting at
    /// the smallest and largest value of each parameter), augmentation that needs images, and,
    /// when the data declare their input shape, that the smallest and largest networks build.
    public func checkNetwork() throws {
        let template = try modelTemplate()
        var augmentation: [LayerSpec] = []
        if let preprocess {
            let pipeline = try pipeline()
            if let shape = data?.inputShape {
                for case .augment(let settings) in pipeline.steps {
                    do { augmentation += try settings.layerSpecs(inputShape: shape) } catch { throw preprocess.error("\(error)") }
                }
            }
        }
        if let template, let shape = data?.inputShape {
            try template.checkBuilds(inputShape: shape, prefix: augmentation, space: search.space)
        }
    }
}
