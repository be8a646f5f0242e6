import Foundation
import Testing
import TunaTensor
@testable import TunaNN

/// Each optimizer's first steps against its published update rule, written out below in plain
/// Double arithmetic (independent of the Float kernels), plus clipping, weight decay,
/// constraints, schedules and the declarative spec.
///
/// Hyperparameters are chosen so that every term of a rule moves the weights visibly at a 1e-6
/// tolerance: large epsilons (so that whether epsilon sits inside or outside the square root
/// matters), learning rates around 0.1, and gradients whose magnitudes shrink (so that amsgrad's
/// running maximum differs from `v`).
@Suite struct OptimizerTests {
    // MARK: - Fixtures and helpers

    static let initial: [Double] = [1.0, -2.0, 0.5]
    /// One gradient per step; each step's gradient is set before its `apply(to:)` (clipping
    /// rewrites gradients in place, as the training loop recomputes them every step anyway).
    static let gradients: [[Double]] = [[0.5, -1.0, 2.0], [0.3, 0.4, -1.5], [-0.2, 0.8, 1.0]]

    func parameter(_ values: [Double], shape: [Int]? = nil, constraint: Constraint? = nil) -> Parameter {
        Parameter(name: "w", value: Tensor(values.map(Float.init), shape: shape ?? [values.count]), constraint: constraint)
    }

    /// Runs `optimizer` over the fixture gradients and returns the weights after each step.
    func run(_ optimizer: any Optimizer, steps: Int = 3) -> [[Float]] {
        let p = parameter(Self.initial)
        return Self.gradients.prefix(steps).map { g in
            p.gradient = Tensor(g.map(Float.init))
            optimizer.apply(to: [p])
            return p.value.scalars
        }
    }

    /// Relative tolerance 1e-6 (Float32 weights against a Double reference). The floor of 0.1 on
    /// the scale allows 1e-7 absolute for weights near zero: they carry the rounding of the
    /// larger values they passed through (a Float ulp at 0.5 is 6e-8).
    func expectClose(
        _ actual: [Float], _ expected: [Double], tolerance: Double = 1e-6, _ label: String = "",
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(actual.count == expected.count, "\(label): \(actual.count) values, expected \(expected.count)", sourceLocation: sourceLocation)
        for (a, e) in zip(actual, expected) {
            let ok = abs(Double(a) - e) <= tolerance * Swift.max(abs(e), 0.1)
            #expect(ok, "\(label): got \(actual), expected \(expected)", sourceLocation: sourceLocation)
            if !ok { return }
        }
    }

    func expectSteps(
        _ actual: [[Float]], _ expected: [[Double]], _ label: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(actual.count == expected.count, sourceLocation: sourceLocation)
        for (step, (a, e)) in zip(actual, expected).enumerated() {
            expectClose(a, e, "\(label), step \(step + 1)", sourceLocation: sourceLocation)
        }
    }

    func message(_ body: () throws -> Void) -> String {
        do { try body(); return "no error" } catch { return "\(error)" }
    }

    // MARK: - Published rules in Double arithmetic

    /// SGD with momentum (Keras docs; Sutskever et al. 2013 for Nesterov):
    /// `v = mu*v - lr*g; w += v`, or with Nesterov `w += mu*v - lr*g` with the new `v`.
    func referenceSGD(lr: Double, momentum: Double = 0, nesterov: Bool = false, steps: Int = 3) -> [[Double]] {
        var w = Self.initial, v = [Double](repeating: 0, count: w.count)
        var out: [[Double]] = []
        for g in Self.gradients.prefix(steps) {
            for i in w.indices {
                if momentum == 0 { w[i] -= lr * g[i]; continue }
                v[i] = momentum * v[i] - lr * g[i]
                w[i] += nesterov ? momentum * v[i] - lr * g[i] : v[i]
            }
            out.append(w)
        }
        return out
    }

    /// Adam, Kingma & Ba 2015, the form stated just before section 2.1 ("epsilon hat"):
    /// `m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2; a_t = lr*sqrt(1-b2^t)/(1-b1^t); w -= a_t*m/(sqrt(v)+eps)`.
    /// AMSGrad (Reddi et al. 2018) divides by `sqrt(max over time of v)` instead.
    /// Decoupled weight decay (Loshchilov & Hutter 2019, as Keras applies it): `w -= w*wd*lr` first.
    func referenceAdam(lr: Double, b1: Double, b2: Double, eps: Double, amsgrad: Bool = false, weightDecay: Double = 0) -> [[Double]] {
        var w = Self.initial
        var m = [Double](repeating: 0, count: w.count), v = m, vMax = m
        var out: [[Double]] = []
        for (index, g) in Self.gradients.enumerated() {
            let t = Double(index + 1)
            let stepSize = lr * (1 - pow(b2, t)).squareRoot() / (1 - pow(b1, t))
            for i in w.indices {
                w[i] -= w[i] * weightDecay * lr
                m[i] = b1 * m[i] + (1 - b1) * g[i]
                v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
                vMax[i] = Swift.max(vMax[i], v[i])
                w[i] -= stepSize * m[i] / ((amsgrad ? vMax[i] : v[i]).squareRoot() + eps)
            }
            out.append(w)
        }
        return out
    }

    /// RMSprop, Hinton's lecture 6e, in Keras 3's form (Graves 2013 for the centered variant):
    /// `v = rho*v + (1-rho)*g^2`; centered `a = rho*a + (1-rho)*g`, `d = v - a^2 + eps`, else `d = v + eps`;
    /// `inc = lr*g/sqrt(d)`; with momentum `m = mu*m + inc; w -= m`, else `w -= inc`.
    func referenceRMSprop(lr: Double, rho: Double, momentum: Double, eps: Double, centered: Bool) -> [[Double]] {
        var w = Self.initial
        var v = [Double](repeating: 0, count: w.count), a = v, m = v
        var out: [[Double]] = []
        for g in Self.gradients {
            for i in w.indices {
                v[i] = rho * v[i] + (1 - rho) * g[i] * g[i]
                var d = v[i] + eps
                if centered {
                    a[i] = rho * a[i] + (1 - rho) * g[i]
                    d -= a[i] * a[i]
                }
                let increment = lr * g[i] / d.squareRoot()
                if momentum > 0 {
                    m[i] = momentum * m[i] + increment
                    w[i] -= m[i]
                } else {
                    w[i] -= increment
                }
            }
            out.append(w)
        }
        return out
    }

    /// Adagrad, Duchi et al. 2011, as Keras 3 writes it: `acc += g^2` (acc starts at the initial
    /// accumulator value), `w -= lr*g/sqrt(acc + eps)`.
    func referenceAdagrad(lr: Double, initialAccumulator: Double, eps: Double) -> [[Double]] {
        var w = Self.initial
        var acc = [Double](repeating: initialAccumulator, count: w.count)
        var out: [[Double]] = []
        for g in Self.gradients {
            for i in w.indices {
                acc[i] += g[i] * g[i]
                w[i] -= lr * g[i] / (acc[i] + eps).squareRoot()
            }
            out.append(w)
        }
        return out
    }

    /// Adadelta, Zeiler 2012 Algorithm 1, times Keras's learning rate:
    /// `Eg = rho*Eg + (1-rho)*g^2; dx = -sqrt(Edx + eps)/sqrt(Eg + eps)*g; Edx = rho*Edx + (1-rho)*dx^2; w += lr*dx`.
    func referenceAdadelta(lr: Double, rho: Double, eps: Double) -> [[Double]] {
        var w = Self.initial
        var eg = [Double](repeating: 0, count: w.count), edx = eg
        var out: [[Double]] = []
        for g in Self.gradients {
            for i in w.indices {
                eg[i] = rho * eg[i] + (1 - rho) * g[i] * g[i]
                let dx = -(edx[i] + eps).squareRoot() / (eg[i] + eps).squareRoot() * g[i]
                edx[i] = rho * edx[i] + (1 - rho) * dx * dx
                w[i] += lr * dx
            }
            out.append(w)
        }
        return out
    }

    // MARK: - Update rules

    @Test func sgdPlainMomentumAndNesterov() {
        expectSteps(run(SGD(learningRate: 0.1)), referenceSGD(lr: 0.1), "sgd")
        expectSteps(run(SGD(learningRate: 0.1, momentum: 0.9)), referenceSGD(lr: 0.1, momentum: 0.9), "sgd momentum")
        expectSteps(
            run(SGD(learningRate: 0.1, momentum: 0.9, nesterov: true)),
            referenceSGD(lr: 0.1, momentum: 0.9, nesterov: true), "sgd nesterov")
        // Worked by hand, step 1 of the momentum run: v = -0.1 * 0.5 = -0.05, w0 = 1 - 0.05 = 0.95;
        // step 2: v = 0.9 * -0.05 - 0.1 * 0.3 = -0.075, w0 = 0.875 (elements 1, 2 likewise).
        expectClose(run(SGD(learningRate: 0.1, momentum: 0.9), steps: 2)[1], [0.875, -1.85, 0.27], "sgd momentum by hand")
    }

    @Test func adamAndAmsgrad() {
        expectSteps(
            run(Adam(learningRate: 0.1, beta1: 0.9, beta2: 0.999, epsilon: 1e-3)),
            referenceAdam(lr: 0.1, b1: 0.9, b2: 0.999, eps: 1e-3), "adam")
        // beta_2 = 0.5 lets v fall (element 1 at step 2, element 2 at step 3), where amsgrad differs.
        let ams = run(Adam(learningRate: 0.1, beta1: 0.9, beta2: 0.5, epsilon: 1e-3, amsgrad: true))
        expectSteps(ams, referenceAdam(lr: 0.1, b1: 0.9, b2: 0.5, eps: 1e-3, amsgrad: true), "adam amsgrad")
        let plain = referenceAdam(lr: 0.1, b1: 0.9, b2: 0.5, eps: 1e-3)
        #expect(abs(Double(ams[2][2]) - plain[2][2]) > 1e-3, "the amsgrad fixture must exercise the running maximum")
        // Step 1 by hand: m = 0.1 g, v = 0.001 g^2, a_1 = 0.1 * sqrt(0.001) / 0.1 = sqrt(0.001), so
        // w -= sqrt(0.001) * 0.1 g / (sqrt(0.001) |g| + 1e-3); for element 1 (g = -1) that is
        // -0.1 * 0.0316228 / 0.0326228 = -0.0969347.
        let root = 0.001.squareRoot()
        let byHand = zip(Self.initial, Self.gradients[0]).map { w, g in w - root * 0.1 * g / (root * abs(g) + 1e-3) }
        expectClose(run(Adam(learningRate: 0.1, epsilon: 1e-3), steps: 1)[0], byHand, "adam by hand")
        expectClose([run(Adam(learningRate: 0.1, epsilon: 1e-3), steps: 1)[0][1]], [-2 + 0.0969347], tolerance: 1e-6, "adam element 1")
    }

    @Test func adamWDecaysWeightsBeforeTheAdamStep() {
        expectSteps(
            run(AdamW(learningRate: 0.1, weightDecay: 0.5, epsilon: 1e-3)),
            referenceAdam(lr: 0.1, b1: 0.9, b2: 0.999, eps: 1e-3, weightDecay: 0.5), "adamw")
        expectSteps(
            run(AdamW(learningRate: 0.1, weightDecay: 0.5, beta2: 0.5, epsilon: 1e-3, amsgrad: true)),
            referenceAdam(lr: 0.1, b1: 0.9, b2: 0.5, eps: 1e-3, amsgrad: true, weightDecay: 0.5), "adamw amsgrad")
        // Keras's default decay is 0.004, and AdamW without decay is Adam.
        let adamW = AdamW()
        #expect(adamW.weightDecay == 0.004 && adamW.gradientOptions.weightDecay == 0.004)
        expectSteps(
            run(AdamW(learningRate: 0.1, epsilon: 1e-3)),
            referenceAdam(lr: 0.1, b1: 0.9, b2: 0.999, eps: 1e-3, weightDecay: 0.004), "adamw default decay")
        expectSteps(run(AdamW(learningRate: 0.1, weightDecay: 0, epsilon: 1e-3)), referenceAdam(lr: 0.1, b1: 0.9, b2: 0.999, eps: 1e-3), "adamw no decay")
    }

    @Test func rmspropPlainMomentumAndCentered() {
        for (momentum, centered) in [(0.0, false), (0.5, false), (0.0, true), (0.5, true)] {
            let optimizer = RMSprop(learningRate: 0.01, rho: 0.9, momentum: Float(momentum), epsilon: 1e-2, centered: centered)
            expectSteps(
                run(optimizer), referenceRMSprop(lr: 0.01, rho: 0.9, momentum: momentum, eps: 1e-2, centered: centered),
                "rmsprop momentum \(momentum) centered \(centered)")
        }
        // Keras's docstring example: learning_rate 0.1, var 10, loss var^2 / 2 (gradient = var):
        // v = 0.1 * 100, w = 10 - 0.1 * 10 / sqrt(10 + 1e-7) = 9.683772.
        let p = parameter([10])
        p.gradient = Tensor([10])
        RMSprop(learningRate: 0.1).apply(to: [p])
        expectClose(p.value.scalars, [10 - 1 / (10 + 1e-7).squareRoot()], "rmsprop keras example")
        #expect(abs(p.value.scalars[0] - 9.683772) < 1e-5)
    }

    @Test func adagradStartsFromItsInitialAccumulator() {
        expectSteps(
            run(Adagrad(learningRate: 0.1, initialAccumulatorValue: 0.1, epsilon: 1e-2)),
            referenceAdagrad(lr: 0.1, initialAccumulator: 0.1, eps: 1e-2), "adagrad")
        expectSteps(
            run(Adagrad(learningRate: 0.1, initialAccumulatorValue: 1.5, epsilon: 1e-2)),
            referenceAdagrad(lr: 0.1, initialAccumulator: 1.5, eps: 1e-2), "adagrad initial 1.5")
        // Step 1 by hand, element 0: acc = 0.1 + 0.25, w = 1 - 0.1 * 0.5 / sqrt(0.36) = 1 - 0.05 / 0.6.
        let p = parameter(Self.initial)
        p.gradient = Tensor(Self.gradients[0].map(Float.init))
        let adagrad = Adagrad(learningRate: 0.1, initialAccumulatorValue: 0.1, epsilon: 1e-2)
        adagrad.apply(to: [p])
        expectClose([p.value.scalars[0]], [1 - 0.05 / 0.6], "adagrad by hand")
        expectClose(adagrad.state.slot(0, of: p) ?? [], [0.35, 1.1, 4.1], "adagrad accumulator")
    }

    @Test func adadeltaFollowsZeilersAlgorithm() {
        expectSteps(run(Adadelta(learningRate: 1.0, rho: 0.9, epsilon: 1e-2)), referenceAdadelta(lr: 1.0, rho: 0.9, eps: 1e-2), "adadelta")
        expectSteps(run(Adadelta(learningRate: 0.5, rho: 0.95, epsilon: 1e-3)), referenceAdadelta(lr: 0.5, rho: 0.95, eps: 1e-3), "adadelta lr 0.5")
    }

    @Test func specDefaultsAreKeras() throws {
        let sgd = try #require(try OptimizerSpec(name: "sgd").makeOptimizer() as? SGD)
        #expect(sgd.learningRate == 0.01 && sgd.momentum == 0 && !sgd.nesterov)
        let adam = try #require(try OptimizerSpec(name: "adam").makeOptimizer() as? Adam)
        #expect(adam.learningRate == 0.001 && adam.beta1 == 0.9 && adam.beta2 == 0.999 && adam.epsilon == 1e-7 && !adam.amsgrad)
        #expect(!(adam is AdamW) && adam.gradientOptions.weightDecay == nil)
        let adamW = try #require(try OptimizerSpec(name: "AdamW").makeOptimizer() as? AdamW)
        #expect(adamW.learningRate == 0.001 && adamW.weightDecay == 0.004 && adamW.epsilon == 1e-7 && !adamW.amsgrad)
        let rmsprop = try #require(try OptimizerSpec(name: "rmsprop").makeOptimizer() as? RMSprop)
        #expect(rmsprop.learningRate == 0.001 && rmsprop.rho == 0.9 && rmsprop.momentum == 0 && rmsprop.epsilon == 1e-7 && !rmsprop.centered)
        let adagrad = try #require(try OptimizerSpec(name: "adagrad").makeOptimizer() as? Adagrad)
        #expect(adagrad.learningRate == 0.001 && adagrad.initialAccumulatorValue == 0.1 && adagrad.epsilon == 1e-7)
        #expect(adagrad.initialSlotValue == 0.1)
        let adadelta = try #require(try OptimizerSpec(name: "adadelta").makeOptimizer() as? Adadelta)
        #expect(adadelta.learningRate == 0.001 && adadelta.rho == 0.95 && adadelta.epsilon == 1e-7)
        // Slots: RMSprop keeps only what its settings need.
        #expect(rmsprop.slotCount == 1)
        #expect(RMSprop(momentum: 0.9, centered: true).slotCount == 3)
    }

    @Test func settingMomentumMidTrainingAddsASlot() {
        // SGD made without momentum has no slot; turning momentum on must start a zero velocity
        // (not read past the slot list).
        let sgd = SGD(learningRate: 0.1)
        let p = parameter(Self.initial)
        p.gradient = Tensor(Self.gradients[0].map(Float.init))
        sgd.apply(to: [p])
        sgd.momentum = 0.9
        p.gradient = Tensor(Self.gradients[1].map(Float.init))
        sgd.apply(to: [p])
        let expected = zip(Self.initial, zip(Self.gradients[0], Self.gradients[1])).map { w, g in
            w - 0.1 * g.0 - 0.1 * g.1  // the new velocity is 0.9 * 0 - lr * g
        }
        expectClose(p.value.scalars, expected, "momentum turned on")
        // RMSprop likewise.
        let rmsprop = RMSprop(learningRate: 0.01, epsilon: 1e-2, centered: true)
        _ = run(rmsprop, steps: 1)
        rmsprop.momentum = 0.5
        #expect(rmsprop.slotCount == 3)
        let q = parameter(Self.initial)
        q.gradient = Tensor(Self.gradients[0].map(Float.init))
        rmsprop.apply(to: [q])
        #expect(q.value.isFinite)
    }

    @Test func resizedWeightsGetFreshSlots() {
        // New weights of another size assigned to the same parameter: the old slots would be
        // read out of bounds, so the state starts over (m = v = 0: a first Adam step again).
        let adam = Adam(learningRate: 0.1, epsilon: 1e-3)
        let p = parameter([1, 2])
        p.gradient = Tensor([1, 1])
        adam.apply(to: [p])
        p.value = Tensor([1, -2, 0.5])
        p.gradient = Tensor(Self.gradients[0].map(Float.init))
        adam.apply(to: [p])
        #expect(adam.state.slot(0, of: p)?.count == 3)
        // Step 2's bias correction with fresh moments: m = 0.1 g, v = 0.001 g^2.
        let stepSize = 0.1 * (1 - 0.999 * 0.999).squareRoot() / (1 - 0.9 * 0.9)
        let expected = zip(Self.initial, Self.gradients[0]).map { w, g in
            w - stepSize * 0.1 * g / ((0.001 * g * g).squareRoot() + 1e-3)
        }
        expectClose(p.value.scalars, expected, "resized")
    }

    // MARK: - Gradient processing

    @Test func clipnormRescalesEachGradient() {
        let a = parameter([1, 2]), b = parameter([0.5])
        a.gradient = Tensor([3, 4])  // norm 5: rescaled to norm 1
        b.gradient = Tensor([0.5])  // norm 0.5: left alone
        SGD(learningRate: 0.1, gradientOptions: .init(clipNorm: 1)).apply(to: [a, b])
        expectClose(a.value.scalars, [1 - 0.1 * 0.6, 2 - 0.1 * 0.8], "clipnorm a")
        expectClose(b.value.scalars, [0.5 - 0.1 * 0.5], "clipnorm b")
    }

    @Test func globalClipnormRescalesAllGradientsTogether() {
        let a = parameter([1, 2]), b = parameter([0.5])
        a.gradient = Tensor([3, 0])
        b.gradient = Tensor([4])  // global norm 5, clipped to 2.5: every gradient halved
        SGD(learningRate: 0.1, gradientOptions: .init(globalClipNorm: 2.5)).apply(to: [a, b])
        expectClose(a.value.scalars, [1 - 0.1 * 1.5, 2], "global_clipnorm a")
        expectClose(b.value.scalars, [0.5 - 0.1 * 2], "global_clipnorm b")
        // Under the limit, nothing changes.
        let c = parameter([1])
        c.gradient = Tensor([2])
        SGD(learningRate: 0.1, gradientOptions: .init(globalClipNorm: 2.5)).apply(to: [c])
        expectClose(c.value.scalars, [0.8], "global_clipnorm under the limit")
    }

    @Test func clipvalueClampsEachElement() {
        let p = parameter([1, -2, 0.5])
        p.gradient = Tensor([-3, 0.2, 5])
        SGD(learningRate: 0.1, gradientOptions: .init(clipValue: 1)).apply(to: [p])
        expectClose(p.value.scalars, [1 + 0.1, -2 - 0.02, 0.5 - 0.1], "clipvalue")
    }

    @Test func nonPositiveClippingSetInCodeIsOff() {
        // Keras treats a clip setting that is not positive as unset; a negative clipvalue must
        // not clamp every gradient to a constant, nor a zero clipnorm erase them.
        for options in [GradientOptions(clipValue: -1), GradientOptions(clipNorm: 0), GradientOptions(globalClipNorm: -2)] {
            expectSteps(run(SGD(learningRate: 0.1, gradientOptions: options)), referenceSGD(lr: 0.1), "clipping off: \(options)")
        }
    }

    @Test func weightDecayIsDecoupledAndUsesTheLearningRate() {
        // Keras's BaseOptimizer._apply_weight_decay: w -= w * wd * lr, then the update.
        let optimizer = SGD(learningRate: 0.1, gradientOptions: .init(weightDecay: 0.05))
        var w = Self.initial
        var expected: [[Double]] = []
        for g in Self.gradients {
            for i in w.indices { w[i] = w[i] - w[i] * 0.05 * 0.1 - 0.1 * g[i] }
            expected.append(w)
        }
        expectSteps(run(optimizer), expected, "weight decay")
        // Non-trainable parameters are neither decayed nor updated.
        let frozen = Parameter(name: "moving_mean", value: Tensor([1, 2]), trainable: false)
        frozen.gradient = Tensor([1, 1])
        optimizer.apply(to: [frozen])
        #expect(frozen.value.scalars == [1, 2])
    }

    @Test func maxNormConstraintProjectsAfterTheUpdate() {
        // A [2, 2] kernel; Keras's MaxNorm works on each column (a unit's incoming weights):
        // w * min(norm, max) / (1e-7 + norm).
        let p = parameter([1, 0.2, 1, 0.1], shape: [2, 2], constraint: .maxNorm(1))
        p.gradient = Tensor([-1, 0, 0, 0], shape: [2, 2])
        SGD(learningRate: 1).apply(to: [p])
        // After the step the columns are (2, 1) and (0.2, 0.1).
        let n0 = 5.0.squareRoot(), n1 = 0.05.squareRoot()
        let s0 = 1 / (1e-7 + n0), s1 = n1 / (1e-7 + n1)
        expectClose(p.value.scalars, [2 * s0, 0.2 * s1, 1 * s0, 0.1 * s1], "max_norm")
    }

    // MARK: - Learning-rate schedules

    @Test func scheduleValuesFollowKerasFormulas() {
        func expectRate(_ schedule: LearningRateSchedule, _ step: Int, _ expected: Double, sourceLocation: SourceLocation = #_sourceLocation) {
            expectClose([schedule.learningRate(at: step)], [expected], "\(schedule) at step \(step)", sourceLocation: sourceLocation)
        }
        // ExponentialDecay: initial * rate^(step / decay_steps), floored exponent with staircase.
        let smooth = LearningRateSchedule.exponentialDecay(initial: 0.1, decaySteps: 10, decayRate: 0.5, staircase: false)
        for (step, expected) in [(0, 0.1), (5, 0.1 * pow(0.5, 0.5)), (10, 0.05), (25, 0.1 * pow(0.5, 2.5))] {
            expectRate(smooth, step, expected)
        }
        let stairs = LearningRateSchedule.exponentialDecay(initial: 0.1, decaySteps: 10, decayRate: 0.5, staircase: true)
        for (step, expected) in [(0, 0.1), (5, 0.1), (9, 0.1), (10, 0.05), (25, 0.025)] {
            expectRate(stairs, step, expected)
        }
        // CosineDecay: initial * ((1 - alpha) * 0.5 * (1 + cos(pi * min(step, T) / T)) + alpha).
        let cosine = LearningRateSchedule.cosineDecay(initial: 0.1, decaySteps: 100, alpha: 0.1)
        for step in [0, 25, 50, 100, 150] {
            let progress = Double(Swift.min(step, 100)) / 100
            expectRate(cosine, step, 0.1 * (0.9 * 0.5 * (1 + cos(Double.pi * progress)) + 0.1))
        }
        expectRate(cosine, 50, 0.055)
        expectRate(cosine, 150, 0.01)
        // PiecewiseConstantDecay: values[0] while step <= boundaries[0], and so on.
        let piecewise = LearningRateSchedule.piecewiseConstant(boundaries: [10, 20], values: [1, 0.5, 0.1])
        for (step, expected) in [(0, 1.0), (10, 1.0), (11, 0.5), (20, 0.5), (21, 0.1), (1000, 0.1)] {
            expectRate(piecewise, step, expected)
        }
        // Step decay: initial * factor^floor(step / step_size).
        let stepDecay = LearningRateSchedule.stepDecay(initial: 0.1, stepSize: 10, factor: 0.5)
        for (step, expected) in [(0, 0.1), (9, 0.1), (10, 0.05), (25, 0.025)] {
            expectRate(stepDecay, step, expected)
        }
    }

    @Test func badSchedulesAreRefusedWhenTheOptimizerIsMade() {
        let bad: [(LearningRateSchedule, String)] = [
            (.exponentialDecay(initial: 0.1, decaySteps: 0, decayRate: 0.5, staircase: false), "exponential_decay"),
            (.cosineDecay(initial: 0.1, decaySteps: 10, alpha: 2), "cosine_decay"),
            (.piecewiseConstant(boundaries: [10, 5], values: [1, 2, 3]), "piecewise_constant"),
            (.piecewiseConstant(boundaries: [10], values: [1]), "piecewise_constant"),
            (.stepDecay(initial: 0.1, stepSize: 0, factor: 0.5), "step_decay"),
        ]
        for (schedule, name) in bad {
            let text = message { _ = try OptimizerSpec(name: "sgd", schedule: schedule).makeOptimizer() }
            #expect(text.contains(name), "\(text)")
        }
    }

    @Test func aScheduleDrivesTheRateTheOptimizerUses() {
        // Keras evaluates the schedule at `iterations` (0 for the first update), and the schedule
        // overrides the constant rate.
        let schedule = LearningRateSchedule.piecewiseConstant(boundaries: [1], values: [0.1, 0.01])
        let sgd = SGD(learningRate: 123, schedule: schedule)
        #expect(sgd.currentLearningRate == 0.1)
        let rates = [0.1, 0.1, 0.01]
        var w = Self.initial
        var expected: [[Double]] = []
        for (g, lr) in zip(Self.gradients, rates) {
            for i in w.indices { w[i] -= lr * g[i] }
            expected.append(w)
        }
        expectSteps(run(sgd), expected, "scheduled sgd")
        #expect(sgd.iterations == 3 && sgd.currentLearningRate == Float(0.01))
        // The decoupled weight decay uses the scheduled rate too (Keras reads `self.learning_rate`).
        let decay = LearningRateSchedule.exponentialDecay(initial: 0.2, decaySteps: 1, decayRate: 0.5, staircase: false)
        let decayed = SGD(learningRate: 123, schedule: decay, gradientOptions: .init(weightDecay: 0.5))
        w = Self.initial
        expected = []
        for (step, g) in Self.gradients.enumerated() {
            let lr = 0.2 * pow(0.5, Double(step))
            for i in w.indices { w[i] = w[i] - w[i] * 0.5 * lr - lr * g[i] }
            expected.append(w)
        }
        expectSteps(run(decayed), expected, "scheduled weight decay")
        // And an adaptive optimizer: Adagrad with the exponential schedule.
        let adagrad = Adagrad(learningRate: 123, initialAccumulatorValue: 0.1, epsilon: 1e-2, schedule: decay)
        var acc = [Double](repeating: 0.1, count: 3)
        w = Self.initial
        expected = []
        for (step, g) in Self.gradients.enumerated() {
            let lr = 0.2 * pow(0.5, Double(step))
            for i in w.indices {
                acc[i] += g[i] * g[i]
                w[i] -= lr * g[i] / (acc[i] + 1e-2).squareRoot()
            }
            expected.append(w)
        }
        expectSteps(run(adagrad), expected, "scheduled adagrad")
    }

    // MARK: - Declarative spec

    /// Fresh optimizers (a computed list: optimizers are stateful classes).
    static var configured: [any Optimizer] {
        [
            SGD(learningRate: 0.05, momentum: 0.8, nesterov: true, gradientOptions: .init(clipValue: 0.5)),
            Adam(learningRate: 0.01, beta1: 0.8, beta2: 0.99, epsilon: 1e-6, amsgrad: true,
                 schedule: .cosineDecay(initial: 0.01, decaySteps: 100, alpha: 0.1), gradientOptions: .init(clipNorm: 1)),
            AdamW(learningRate: 0.002, weightDecay: 0.01, schedule: .piecewiseConstant(boundaries: [10, 20], values: [0.1, 0.01, 0.001])),
            RMSprop(learningRate: 0.002, rho: 0.8, momentum: 0.5, epsilon: 1e-6, centered: true,
                    schedule: .exponentialDecay(initial: 0.01, decaySteps: 10, decayRate: 0.9, staircase: true),
                    gradientOptions: .init(globalClipNorm: 2)),
            Adagrad(learningRate: 0.01, initialAccumulatorValue: 0.2, epsilon: 1e-6,
                    schedule: .stepDecay(initial: 0.01, stepSize: 5, factor: 0.5), gradientOptions: .init(weightDecay: 0.001)),
            Adadelta(learningRate: 1, rho: 0.9, epsilon: 1e-6),
        ]
    }

    @Test func specsRoundTripThroughJSONAndMakeOptimizer() throws {
        for optimizer in Self.configured {
            let spec = optimizer.spec
            let json = try JSONEncoder().encode(spec)
            let decoded = try JSONDecoder().decode(OptimizerSpec.self, from: json)
            #expect(decoded == spec, "\(String(decoding: json, as: UTF8.self))")
            let remade = try decoded.makeOptimizer()
            #expect(type(of: remade) == type(of: optimizer))
            #expect(remade.spec == spec)
            // The remade optimizer (fresh state) takes the same steps.
            let original = try spec.makeOptimizer()
            #expect(run(remade) == run(original))
        }
        // A bare name is a spec with every setting at its default.
        let bare = try JSONDecoder().decode(OptimizerSpec.self, from: Data(#""rmsprop""#.utf8))
        #expect(bare == OptimizerSpec(name: "rmsprop"))
        // A hand-written file with Keras's names.
        let text = #"{"name": "adagrad", "learning_rate": 0.5, "initial_accumulator_value": 0.3, "clipnorm": 2, "schedule": {"kind": "cosine_decay", "initial_learning_rate": 0.5, "decay_steps": 10}}"#
        let adagrad = try #require(try JSONDecoder().decode(OptimizerSpec.self, from: Data(text.utf8)).makeOptimizer() as? Adagrad)
        #expect(adagrad.learningRate == 0.5 && adagrad.initialAccumulatorValue == 0.3 && adagrad.gradientOptions.clipNorm == 2)
        #expect(adagrad.schedule == .cosineDecay(initial: 0.5, decaySteps: 10, alpha: 0))
        // AdamW's spec always carries its decay, so clearing it survives the round trip.
        let cleared = AdamW()
        cleared.gradientOptions.weightDecay = nil
        let remade = try #require(try cleared.spec.makeOptimizer() as? AdamW)
        #expect(remade.weightDecay == 0)
    }

    @Test func unknownNamesAndKeysAreNamedWithASuggestion() {
        func decode(_ json: String) -> String {
            message { _ = try JSONDecoder().decode(OptimizerSpec.self, from: Data(json.utf8)).makeOptimizer() }
        }
        let unknown = message { _ = try OptimizerSpec(name: "rmsprob").makeOptimizer() }
        #expect(unknown.contains("unknown optimizer 'rmsprob'") && unknown.contains("did you mean 'rmsprop'"), "\(unknown)")
        let far = message { _ = try OptimizerSpec(name: "lbfgs").makeOptimizer() }
        #expect(far.contains("'lbfgs'") && !far.contains("did you mean") && far.contains("adadelta"), "\(far)")
        let json = decode(#"{"name": "adagrd"}"#)
        #expect(json.contains("did you mean 'adagrad'"), "\(json)")
        let key = decode(#"{"name": "adam", "beta1": 0.8}"#)
        #expect(key.contains("'beta1'") && key.contains("did you mean 'beta_1'"), "\(key)")
        let longKey = decode(#"{"name": "adagrad", "initial_accumulator": 0.1}"#)
        #expect(longKey.contains("'initial_accumulator'") && longKey.contains("initial_accumulator_value"), "\(longKey)")
        let kind = decode(#"{"name": "sgd", "schedule": {"kind": "cosine_decy", "initial_learning_rate": 0.1, "decay_steps": 5}}"#)
        #expect(kind.contains("'cosine_decy'") && kind.contains("did you mean 'cosine_decay'"), "\(kind)")
    }

    @Test func settingsAnOptimizerDoesNotTakeOrOutOfRangeAreRefused() {
        func error(_ spec: OptimizerSpec) -> String { message { _ = try spec.makeOptimizer() } }
        let foreign = error(OptimizerSpec(name: "adam", momentum: 0.9))
        #expect(foreign.contains("'adam'") && foreign.contains("'momentum'"), "\(foreign)")
        #expect(error(OptimizerSpec(name: "adadelta", centered: true)).contains("'centered'"))
        #expect(error(OptimizerSpec(name: "sgd", initialAccumulatorValue: 0.1)).contains("initial_accumulator_value"))
        let twoClips = error(OptimizerSpec(name: "sgd", gradientOptions: .init(clipNorm: 1, clipValue: 1)))
        #expect(twoClips.contains("clipnorm") && twoClips.contains("clipvalue"), "\(twoClips)")
        for (spec, key) in [
            (OptimizerSpec(name: "sgd", momentum: 1.5), "momentum"),
            (OptimizerSpec(name: "adam", beta1: 1), "beta_1"),
            (OptimizerSpec(name: "adamw", beta2: -0.1), "beta_2"),
            (OptimizerSpec(name: "rmsprop", rho: 1), "rho"),
            (OptimizerSpec(name: "adadelta", epsilon: -1), "epsilon"),
            (OptimizerSpec(name: "adagrad", initialAccumulatorValue: -0.1), "initial_accumulator_value"),
            (OptimizerSpec(name: "adagrad", learningRate: .nan), "learning_rate"),
            (OptimizerSpec(name: "sgd", gradientOptions: .init(clipNorm: 0)), "clipnorm"),
            (OptimizerSpec(name: "sgd", gradientOptions: .init(clipValue: -1)), "clipvalue"),
            (OptimizerSpec(name: "adamw", gradientOptions: .init(weightDecay: .infinity)), "weight_decay"),
        ] {
            let text = error(spec)
            #expect(text.contains(key) && text.contains("'\(spec.name)'"), "\(text)")
        }
    }
}
