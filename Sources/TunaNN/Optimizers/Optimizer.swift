import Foundation
import TunaTensor

/// Gradient processing shared by every optimizer, with Keras's names.
public struct GradientOptions: Hashable, Sendable {
    /// Each parameter's gradient is rescaled to at most this norm.
    public var clipNorm: Float?
    /// The gradients of all parameters together are rescaled to at most this norm.
    public var globalClipNorm: Float?
    /// Each gradient element is clamped to `[-clipValue, clipValue]`.
    public var clipValue: Float?
    /// Decoupled weight decay: `w -= w * weightDecay * learningRate` before each update.
    public var weightDecay: Float?

    public init(clipNorm: Float? = nil, globalClipNorm: Float? = nil, clipValue: Float? = nil, weightDecay: Float? = nil) {
        self.clipNorm = clipNorm
        self.globalClipNorm = globalClipNorm
        self.clipValue = clipValue
        self.weightDecay = weightDecay
    }
}

/// An update rule. Each optimizer says how many state slots a parameter needs and how one
/// parameter is updated; clipping, weight decay, schedules, constraints and slot management are
/// shared (the shape of Keras's `BaseOptimizer` and MLX's `OptimizerBase`).
public protocol Optimizer: AnyObject {
    /// The base learning rate (used when there is no schedule; set by callbacks).
    var learningRate: Float { get set }
    /// A schedule that overrides `learningRate` by step.
    var schedule: LearningRateSchedule? { get set }
    var gradientOptions: GradientOptions { get set }
    /// The number of updates applied so far.
    var iterations: Int { get set }
    /// Per-parameter slots, owned by the optimizer.
    var state: OptimizerState { get }
    /// Slots per parameter (Adam: 2, or 3 with amsgrad).
    var slotCount: Int { get }
    /// The initial value of every slot (Adagrad starts its accumulator above zero).
    var initialSlotValue: Float { get }
    /// The declarative description (for study and model files).
    var spec: OptimizerSpec { get }
    /// Updates `count` weights in place from their (already clipped) gradients.
    /// `step` counts from 1.
    func update(
        weights: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>, slots: [UnsafeMutablePointer<Float>],
        count: Int, learningRate: Float, step: Int)
}

extension Optimizer {
    public var initialSlotValue: Float { 0 }

    /// The learning rate the next update will use.
    public var currentLearningRate: Float {
        schedule?.learningRate(at: iterations) ?? learningRate
    }

    /// Applies one update to every trainable parameter from its gradient.
    ///
    /// With `parts > 1` the elementwise update runs on that many threads, each over its own
    /// range of every parameter (every rule here is elementwise; clipping, the learning rate and
    /// the step count are settled once before, constraints after).
    public func apply(to parameters: [Parameter], parts: Int = 1) {
        let trainable = parameters.filter(\.trainable)
        let rate = currentLearningRate
        iterations += 1
        clipGradients(trainable)
        var work: [(weights: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>, slots: [UnsafeMutablePointer<Float>], count: Int)] = []
        for parameter in trainable {
            let count = parameter.value.count
            // The update reads `count` gradients: a gradient of another size would be read out of bounds.
            precondition(
                parameter.gradient.count == count,
                "parameter '\(parameter.name)': gradient has \(parameter.gradient.count) elements, value has \(count)")
            let slots = state.slots(for: parameter, count: slotCount, initialValue: initialSlotValue)
            if let decay = gradientOptions.weightDecay, decay != 0 {
                let factor = 1 - decay * rate
                parameter.value.withUnsafeMutableBufferPointer { w in
                    for i in w.indices { w[i] *= factor }
                }
            }
            // Make the storage unique now; the pointers stay valid while `trainable` holds the
            // parameters and nothing else touches their tensors during the update.
            let weights = parameter.value.withUnsafeMutableBufferPointer { $0.baseAddress! }
            let gradients = parameter.gradient.withUnsafeBufferPointer { $0.baseAddress! }
            work.append((weights, gradients, slots, count))
        }
        let step = iterations
        let chunks = max(1, parts)
        let run = { (part: Int) in
            for item in work {
                let start = item.count * part / chunks, end = item.count * (part + 1) / chunks
                guard end > start else { continue }
                self.update(
                    weights: item.weights + start, gradients: item.gradients + start,
                    slots: item.slots.map { $0 + start }, count: end - start, learningRate: rate, step: step)
            }
        }
        if chunks == 1 {
            run(0)
        } else {
            let shared = UncheckedBox(run)
            DispatchQueue.concurrentPerform(iterations: chunks) { shared.value($0) }
        }
        withExtendedLifetime(trainable) {}
        for parameter in trainable {
            if let constraint = parameter.constraint { constraint.apply(&parameter.value) }
        }
    }

    /// Keras's `BaseOptimizer._clip_gradients`: one kind of clipping only, in the order clipnorm,
    /// global_clipnorm, clipvalue, and a setting that is not positive means "off" (Keras tests
    /// `clipnorm and clipnorm > 0`). `OptimizerSpec.makeOptimizer()` refuses more than one, as
    /// Keras's constructor does; this precedence only matters for options set in code.
    private func clipGradients(_ parameters: [Parameter]) {
        if let clipNorm = gradientOptions.clipNorm, clipNorm > 0 {
            for parameter in parameters {
                let norm = parameter.gradient.withUnsafeBufferPointer { BLAS.norm(count: $0.count, x: $0.baseAddress!) }
                if norm > clipNorm { scale(parameter, by: clipNorm / norm) }
            }
        } else if let globalClipNorm = gradientOptions.globalClipNorm, globalClipNorm > 0 {
            var sumSquares: Float = 0
            for parameter in parameters {
                let norm = parameter.gradient.withUnsafeBufferPointer { BLAS.norm(count: $0.count, x: $0.baseAddress!) }
                sumSquares += norm * norm
            }
            let norm = sumSquares.squareRoot()
            if norm > globalClipNorm {
                for parameter in parameters { scale(parameter, by: globalClipNorm / norm) }
            }
        } else if let clipValue = gradientOptions.clipValue, clipValue > 0 {
            for parameter in parameters {
                parameter.gradient.withUnsafeMutableBufferPointer { g in
                    for i in g.indices { g[i] = Swift.min(Swift.max(g[i], -clipValue), clipValue) }
                }
            }
        }
    }

    private func scale(_ parameter: Parameter, by factor: Float) {
        parameter.gradient.withUnsafeMutableBufferPointer { g in
            for i in g.indices { g[i] *= factor }
        }
    }
}

/// Slot buffers per parameter. Raw, stable allocations: the update loop touches them every
/// step and must neither copy nor look them up by name.
public final class OptimizerState {
    private var storage: [ObjectIdentifier: (parameter: Parameter, slots: [UnsafeMutablePointer<Float>], count: Int)] = [:]

    public init() {}

    /// The slots of `parameter`, created (filled with `initialValue`) on first use.
    ///
    /// A setting that adds a slot mid-training (SGD's momentum leaving 0, Adam's amsgrad turned
    /// on) gets the new slot appended, filled with `initialValue`; a parameter whose size changed
    /// (new weights assigned) gets fresh slots, because the old ones would be read out of bounds.
    public func slots(for parameter: Parameter, count: Int, initialValue: Float) -> [UnsafeMutablePointer<Float>] {
        let id = ObjectIdentifier(parameter)
        let size = parameter.value.count
        var slots: [UnsafeMutablePointer<Float>] = []
        if let entry = storage[id] {
            if entry.count == size {
                if entry.slots.count >= count { return entry.slots }
                slots = entry.slots
            } else {
                for slot in entry.slots { slot.deallocate() }
            }
        }
        while slots.count < count {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(size, 1))
            p.initialize(repeating: initialValue, count: Swift.max(size, 1))
            slots.append(p)
        }
        storage[id] = (parameter, slots, size)
        return slots
    }

    /// A copy of one slot, for tests and inspection.
    public func slot(_ index: Int, of parameter: Parameter) -> [Float]? {
        guard let entry = storage[ObjectIdentifier(parameter)], index < entry.slots.count else { return nil }
        return Array(UnsafeBufferPointer(start: entry.slots[index], count: entry.count))
    }

    deinit {
        for entry in storage.values { for slot in entry.slots { slot.deallocate() } }
    }
}

/// Hands a closure to `concurrentPerform`; each iteration works on its own ranges.
struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
