import TunaNN
import TunaSearch
import TunaSpec

/// Everything a worker needs to build and train one trial's network: the `model:` section with
/// the trial's parameters filled in.
public struct TrainingPlan: Sendable, Hashable, Codable {
    public var layers: [LayerSpec]
    public var loss: Loss
    public var optimizer: OptimizerSpec
    public var metrics: [String]
    public var epochs: Int
    public var batchSize: Int
    public var earlyStopping: EarlyStoppingSpec?

    enum CodingKeys: String, CodingKey {
        case layers, loss, optimizer, metrics, epochs, batchSize = "batch_size", earlyStopping = "early_stopping"
    }
}

/// EarlyStopping's settings as a study file writes them.
public struct EarlyStoppingSpec: Sendable, Hashable, Codable {
    public var monitor: String
    public var patience: Int
    public var minDelta: Double
    public var restoreBestWeights: Bool

    enum CodingKeys: String, CodingKey, CaseIterable {
        case monitor, patience, minDelta = "min_delta", restoreBestWeights = "restore_best_weights"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        monitor = try c.decodeIfPresent(String.self, forKey: .monitor) ?? "val_loss"
        patience = try c.decodeIfPresent(Int.self, forKey: .patience) ?? 3
        minDelta = try c.decodeIfPresent(Double.self, forKey: .minDelta) ?? 0
        restoreBestWeights = try c.decodeIfPresent(Bool.self, forKey: .restoreBestWeights) ?? true
    }

    /// The callback these settings describe.
    public func makeCallback() -> EarlyStopping {
        EarlyStopping(monitor: monitor, minDelta: minDelta, patience: patience, restoreBestWeights: restoreBestWeights)
    }
}

/// The `model:` section with `$parameter` placeholders, resolved per trial.
///
/// A placeholder is a whole scalar `"$name"`, or a layer's key, so that a categorical
/// parameter chooses the layer kind (`{"$cell": {units: "$units"}}` with `cell` in
/// `[lstm, gru, simple_rnn]`). A layer may carry `repeat: "$layers"` to appear
/// that many times, and `{block: [...], repeat: "$layers"}` repeats a group of layers; inside a
/// repeated layer `{i}` counts the copies from 1, so `units: "$units_{i}"` gives each copy its
/// own (conditional) parameter.
public struct ModelTemplate: Sendable, Hashable {
    public var node: SpecNode
    /// Every declared parameter: a setting whose placeholder names one that is inactive in a
    /// trial (its condition does not hold) is left out, so the layer's or optimizer's default
    /// applies — `momentum: "$momentum"` with `momentum` declared `when: {optimizer: sgd}`.
    var declared: Set<String>

    static let keys = ["layers", "loss", "optimizer", "metrics", "epochs", "batch_size", "early_stopping"]

    public init(_ node: SpecNode, space: SearchSpace) throws {
        try node.checkKeys(Self.keys, in: "model")
        guard case .sequence(let layers, _)? = node["layers"], !layers.isEmpty else {
            throw node.error("model needs a non-empty 'layers' list")
        }
        guard node["loss"] != nil else { throw node.error("model needs a 'loss'") }
        self.node = node
        self.declared = Set(space.parameters.map(\.name))
        try checkPlaceholders(node, space: space, repeatIndex: nil)
        // Resolve with the smallest and the largest value of every parameter, so that a bad
        // layer setting is reported now rather than by the first trial that draws it.
        for extreme in [false, true] {
            let ordered = try space.orderedParameters()
            let params = space.assemble(ordered) { parameter, _ in
                Self.extreme(parameter.domain, high: extreme)
            }
            _ = try resolve(params)
        }
    }

    /// Builds the networks of the smallest and the largest settings for samples of
    /// `inputShape` (after `prefix` layers), so that a layer refusing its input — heads that do
    /// not divide the width, a kernel larger than the image — is reported when the study loads.
    func checkBuilds(inputShape: [Int], prefix: [LayerSpec] = [], space: SearchSpace) throws {
        for extreme in [false, true] {
            let ordered = try space.orderedParameters()
            let params = space.assemble(ordered) { parameter, _ in
                Self.extreme(parameter.domain, high: extreme)
            }
            let plan = try resolve(params)
            let settings = params.keys.sorted().map { "\($0)=\(params[$0].map { "\($0)" } ?? "")" }.joined(separator: ", ")
            try checkSize(inputShape: inputShape, layers: prefix + plan.layers, batchSize: plan.batchSize, describe: " with \(settings)")
            do {
                _ = try Sequential(inputShape: inputShape, layers: prefix + plan.layers, seed: 0)
            } catch {
                throw (node["layers"] ?? node).error("model.layers with \(settings): \(error)")
            }
        }
    }

    /// The plans of the smallest and the largest value of every parameter.
    func extremePlans(space: SearchSpace) throws -> [TrainingPlan] {
        let ordered = try space.orderedParameters()
        return try [false, true].map { extreme in
            try resolve(space.assemble(ordered) { parameter, _ in Self.extreme(parameter.domain, high: extreme) })
        }
    }

    static func extreme(_ domain: Domain, high: Bool) -> ParameterValue {
        switch domain {
        case .float(let d): return .double(high ? d.high : d.low)
        case .int(let d): return .int(high ? d.high : d.low)
        case .categorical(let values): return (high ? values.last : values.first) ?? .string("")
        case .fixed(let value): return value
        }
    }

    /// Checks that every placeholder names a declared parameter.
    private func checkPlaceholders(_ node: SpecNode, space: SearchSpace, repeatIndex: Int?) throws {
        switch node {
        case .scalar(let text, .string, _) where text.hasPrefix("$"):
            let name = String(text.dropFirst())
            let candidates = name.contains("{i}")
                ? (1...8).map { name.replacingOccurrences(of: "{i}", with: String($0)) }.filter { space[$0] != nil }
                : (space[name] == nil ? [] : [name])
            if candidates.isEmpty {
                var message = "placeholder '\(text)' names no parameter"
                if let near = nearestName(to: name, in: space.parameters.map(\.name)) { message += " (did you mean '$\(near)'?)" }
                throw node.error(message)
            }
        case .mapping(let entries, _):
            for entry in entries {
                if entry.key.hasPrefix("$") {
                    try checkPlaceholders(.scalar(entry.key, .string, entry.keyLocation), space: space, repeatIndex: repeatIndex)
                }
                try checkPlaceholders(entry.value, space: space, repeatIndex: repeatIndex)
            }
        case .sequence(let items, _):
            for item in items { try checkPlaceholders(item, space: space, repeatIndex: repeatIndex) }
        default:
            break
        }
    }

    /// The training plan for one trial's parameters.
    public func resolve(_ params: Parameters) throws -> TrainingPlan {
        let filled = try substitute(node, params: params, index: nil)
        guard case .mapping(var entries, let location) = filled else { throw node.error("model must be a mapping") }
        if let layersIndex = entries.firstIndex(where: { $0.key == "layers" }),
           case .sequence(let layers, let layersLocation) = entries[layersIndex].value {
            var expanded: [SpecNode] = []
            for layer in layers { expanded += try expandRepeat(layer, params: params) }
            entries[layersIndex].value = .sequence(expanded, layersLocation)
        }
        let resolved = SpecNode.mapping(entries, location)
        let layers = try (resolved["layers"] ?? resolved).decode([LayerSpec].self, what: "model.layers")
        // Settings that would fail every trial (no units, a dropout rate of 1) are refused here,
        // which runs at the smallest and largest value of every parameter when the study loads.
        for (index, layer) in layers.enumerated() {
            if let problem = NetworkLimits.problem(layer) {
                throw (resolved["layers"] ?? resolved).error("model.layers, layer \(index + 1): \(problem)")
            }
        }
        let loss = try (resolved["loss"] ?? resolved).decode(Loss.self, what: "model.loss")
        let optimizer = try resolved["optimizer"].map { try $0.decode(OptimizerSpec.self, what: "model.optimizer") }
            ?? OptimizerSpec(name: "adam")
        do { _ = try optimizer.makeOptimizer() } catch { throw (resolved["optimizer"] ?? resolved).error("model.optimizer: \(error)") }
        let metrics = try resolved["metrics"].map { try $0.decode([String].self, what: "model.metrics") } ?? []
        for metric in metrics {
            do { _ = try MetricName.make(metric, loss: loss) } catch { throw (resolved["metrics"] ?? resolved).error("\(error)") }
        }
        let epochs = try resolved["epochs"].map { try $0.decode(Int.self, what: "model.epochs") } ?? 10
        let batchSize = try resolved["batch_size"].map { try $0.decode(Int.self, what: "model.batch_size") } ?? 32
        guard epochs > 0 else { throw (resolved["epochs"] ?? resolved).error("epochs must be positive") }
        guard batchSize > 0 else { throw (resolved["batch_size"] ?? resolved).error("batch_size must be positive") }
        guard epochs <= StudyLimits.maxEpochs else {
            throw (resolved["epochs"] ?? resolved).error("epochs is \(epochs); the limit is \(StudyLimits.maxEpochs)")
        }
        guard batchSize <= StudyLimits.maxBatchSize else {
            throw (resolved["batch_size"] ?? resolved).error("batch_size is \(batchSize); the limit is \(StudyLimits.maxBatchSize)")
        }
        let earlyStopping = try resolved["early_stopping"].map { node -> EarlyStoppingSpec in
            try node.checkKeys(EarlyStoppingSpec.CodingKeys.allCases.map(\.rawValue), in: "early_stopping")
            return try node.decode(EarlyStoppingSpec.self, what: "model.early_stopping")
        }
        return TrainingPlan(
            layers: layers, loss: loss, optimizer: optimizer, metrics: metrics, epochs: epochs,
            batchSize: batchSize, earlyStopping: earlyStopping)
    }

    /// A layer with `repeat:` becomes that many copies (with `{i}` filled in); others stay.
    private func expandRepeat(_ layer: SpecNode, params: Parameters) throws -> [SpecNode] {
        guard case .mapping(let entries, let location) = layer, let countNode = layer["repeat"] else {
            return [layer]
        }
        guard let count = countNode.text.flatMap(Int.init), count >= 0 else {
            throw countNode.error("'repeat' is a non-negative integer (or a placeholder for one)")
        }
        // Bounded before any copy is made: `repeat: 1000000` would build a million layers.
        guard count <= StudyLimits.maxRepeat else {
            throw countNode.error("'repeat' is \(count); the limit is \(StudyLimits.maxRepeat) copies")
        }
        let rest = SpecNode.mapping(entries.filter { $0.key != "repeat" }, location)
        guard count > 0 else { return [] }
        // `{block: [layer, layer, ...], repeat: n}` repeats a group of layers, in order.
        if case .sequence(let group, _)? = rest["block"], entries.count == 2 {
            return try (1...count).flatMap { index in try group.map { try substitute($0, params: params, index: index) } }
        }
        return try (1...count).map { index in try substitute(rest, params: params, index: index) }
    }

    /// Replaces placeholders by the trial's values; indexed ones (`{i}`) stay until the
    /// repeated layer they are in is expanded with an index.
    private func substitute(_ node: SpecNode, params: Parameters, index: Int?) throws -> SpecNode {
        switch node {
        case .scalar(let text, .string, let location) where text.hasPrefix("$"):
            var name = String(text.dropFirst())
            if name.contains("{i}") {
                guard let index else { return node }
                name = name.replacingOccurrences(of: "{i}", with: String(index))
            }
            guard let value = params[name] else {
                throw node.error("placeholder '\(text)' has no value in this trial (is '\(name)' inactive under its condition?)")
            }
            switch value {
            case .int(let i): return .scalar(String(i), .int, location)
            case .double(let d): return .scalar(String(d), .float, location)
            case .bool(let b): return .scalar(String(b), .bool, location)
            case .string(let s): return .scalar(s, .string, location)
            }
        case .mapping(let entries, let location):
            var out: [SpecNode.Entry] = []
            for entry in entries {
                if isInactivePlaceholder(entry.value, params: params, index: index) { continue }
                var copy = entry
                copy.value = try substitute(entry.value, params: params, index: index)
                if entry.key.hasPrefix("$") {
                    // A placeholder key chooses the layer kind: `{"$cell": {units: 32}}`.
                    let key = try substitute(.scalar(entry.key, .string, entry.keyLocation), params: params, index: index)
                    guard case .scalar(let name, _, _) = key, !name.hasPrefix("$") else { out.append(copy); continue }
                    copy.key = name
                }
                out.append(copy)
            }
            return .mapping(out, location)
        case .sequence(let items, let location):
            return .sequence(try items.map { try substitute($0, params: params, index: index) }, location)
        default:
            return node
        }
    }

    /// True for a placeholder naming a declared parameter that this trial does not have.
    private func isInactivePlaceholder(_ node: SpecNode, params: Parameters, index: Int?) -> Bool {
        guard case .scalar(let text, .string, _) = node, text.hasPrefix("$") else { return false }
        var name = String(text.dropFirst())
        if name.contains("{i}") {
            guard let index else { return false }
            name = name.replacingOccurrences(of: "{i}", with: String(index))
        }
        return params[name] == nil && declared.contains(name)
    }
}
