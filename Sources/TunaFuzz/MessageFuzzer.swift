import Foundation
@_exported import TunaBase
import TunaProtocol
import TunaRandom
import TunaWire

/// Multipart messages for fuzzing either end of the protocol: real message types with real
/// bodies, then mutated — fields swapped for extreme or wrongly typed values, bodies flipped,
/// cut or padded, frames dropped, repeated or renamed, another version, plain noise — so that
/// most messages get past the framing and reach the handlers, where the interesting failures
/// live. Seeded: a failing run can be replayed.
public struct MessageFuzzer {
    /// Which side's messages to imitate.
    public enum Direction: Sendable {
        /// What workers and control clients send a scheduler.
        case toScheduler
        /// What a scheduler sends a worker (never `shutdown` or `refuse`, which end a worker by
        /// design).
        case toWorker
    }

    private var random: SeededGenerator
    private let direction: Direction
    /// Trial ids the mutations aim at, so some reports name trials that exist.
    private let trialIDs: ClosedRange<Int64>
    /// Studies named in control messages (kept apart from the studies a test relies on).
    private let studyNames: [String]

    public init(seed: UInt64, direction: Direction, trialIDs: ClosedRange<Int64> = 1...64, studyNames: [String] = ["fuzzed"]) {
        random = SeededGenerator(seed: seed)
        self.direction = direction
        self.trialIDs = trialIDs
        self.studyNames = studyNames.isEmpty ? ["fuzzed"] : studyNames
    }

    /// The frames of the next message (for a DEALER, or after a ROUTER's identity frame).
    public mutating func next() -> [[UInt8]] {
        let roll = random.nextInt(below: 100)
        if roll < 5 { return noise() }
        var frames = roll % 8 == 0 ? batch() : template()
        if roll < 20 { return frames }  // valid as it stands
        let mutations = 1 + random.nextInt(below: 3)
        for _ in 0..<mutations { mutate(&frames) }
        return frames
    }

    // MARK: Real messages

    private mutating func pick<T>(_ values: [T]) -> T { values[random.nextInt(below: values.count)] }

    private mutating func trialID() -> Int64 {
        random.nextInt(below: 10) == 0 ? Int64(bitPattern: random.next()) : Int64(random.nextInt(below: Int(trialIDs.count))) + trialIDs.lowerBound
    }

    private mutating func value() -> Double {
        pick([0, 0.5, -1, 1e300, -1e300, Double.leastNormalMagnitude / 1024, Double(random.nextInt(below: 1000)) / 7])
    }

    private func envelope<Body: Encodable>(_ type: MessageType, _ body: Body, attachment: [UInt8]? = nil) -> [[UInt8]] {
        (try? Envelope(type, body, attachment: attachment))?.frames ?? Envelope(type: type).frames
    }

    private mutating func studyText() -> String {
        let name = pick(studyNames)
        return pick([
            "name: \(name)\nobjective: {function: sphere2}\nsearch: {algorithm: random, trials: 3, parameters: {x0: {float: [-1, 1]}, x1: {float: [-1, 1]}}}\n",
            "name: \(name)\nobjective: {function: branin}\nsearch: {trials: 2, parameters: {x0: {float: [-5, 10]}, x1: {float: [0, 15]}}}\n",
            "name: \(name)\nobjective: {command: [sh, -c, \"echo loss=1\"]}\nsearch: {trials: 1, parameters: {x: {float: [0, 1]}}}\n",
            "name: \(name)\nobjective: {command: [sh, -c, \"echo f1=1 f2=2\"]}\nsearch: {algorithm: nsga2, metrics: [f1, f2], trials: 3, parameters: {x: {float: [0, 1]}}}\n",
            "a: &a [x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c]\n",
            "name: \(name)\nsearch: {trials: 9223372036854775807, parameters: {x: {int: [4, 1e19]}}}\nobjective: {function: sphere2}\n",
            String(repeating: "[", count: 5000),
            "name: \(name)\ndata: {path: /etc/passwd, target: root}\nmodel: {layers: [{dense: {units: 1}}], loss: mse}\nsearch: {parameters: {x: {float: [0, 1]}}}\n",
        ])
    }

    private mutating func template() -> [[UInt8]] {
        switch direction {
        case .toScheduler:
            switch random.nextInt(below: 11) {
            case 0: return envelope(.hello, HelloMessage(worker: pick(["w", "fuzz", "\u{1b}[31mred", String(repeating: "n", count: 300)]), host: "h", pid: Int32(random.nextInt(below: 1 << 20)), allowsCommands: random.nextInt(below: 2) == 0))
            case 1: return envelope(.ready, ReadyMessage(allowsCommands: random.nextInt(below: 2) == 0))
            case 2: return Envelope(type: .heartbeat).frames
            case 3: return envelope(.progress, ProgressMessage(trialID: trialID(), step: pick([0, 1, -1, Int.max, random.nextInt(below: 100)]), value: value(), fold: pick([nil, 0, -3, 2]), seconds: pick([nil, 0.1, -5])))
            case 4: return envelope(.result, ResultMessage(trialID: trialID(), value: value(), std: pick([nil, 0.1]), foldValues: [value(), value()], foldSeconds: [0.1], metrics: ["loss": value()], seconds: 0.2, pruned: random.nextInt(below: 4) == 0, values: pick([nil, [value()], [value(), value()], []])))
            case 5: return envelope(.failed, FailedMessage(trialID: trialID(), error: pick(["diverged", String(repeating: "e", count: 20_000), "\u{0}\u{7}"]), retryable: pick([nil, true, false])))
            case 6: return envelope(.needDataset, DatasetMessage(hash: pick([String(repeating: "0", count: 64), "../../etc/passwd", ""]), fileExtension: pick(["csv", "../x", ""])))
            case 7:
                let text = studyText()
                let bytes = Array("a,b\n1,2\n".utf8)
                let declared = random.nextInt(below: 2) == 0 ? DatasetMessage(hash: sha256Hex(Data(bytes)), fileExtension: pick(["csv", "npz", "/"])) : nil
                return envelope(.submit, SubmitMessage(studyText: text, studyFile: pick(["s.yaml", "/etc/passwd", ""]), trials: pick([nil, 1, 0, -5, Int.max]), dataset: declared), attachment: declared == nil ? nil : bytes)
            case 8: return Envelope(type: .status).frames
            case 9: return envelope(.stopStudy, StopStudyMessage(study: pick(studyNames)))
            default: return Envelope(type: pick([.welcome, .assign, .reply, .dataset, .refuse])).frames
            }
        case .toWorker:
            switch random.nextInt(below: 7) {
            case 0: return envelope(.welcome, WelcomeMessage(heartbeatMilliseconds: pick([1, 1000, -5, Int.max, 0]), liveness: pick([0, 3, -1, Int.max])))
            case 1: return envelope(.welcome, WelcomeMessage(heartbeatMilliseconds: 100, liveness: 3))
            case 2:
                let text = studyText()
                return envelope(.assign, AssignMessage(
                    trialID: trialID(), study: pick(studyNames), number: random.nextInt(below: 100), attempt: 1,
                    params: ["x0": .double(value()), "x1": .double(0.25), "x": .int(3), "lr": .string("0.1")],
                    studyText: random.nextInt(below: 4) == 0 ? nil : text, studyFile: pick(["s.yaml", "/etc/passwd", "../../x.yaml"]),
                    studyHash: pick([sha256Hex(Data(text.utf8)), "", "../../../tmp/x"]), datasetHash: pick([nil, String(repeating: "a", count: 64), "../x"])))
            case 3: return envelope(.decision, DecisionMessage(trialID: trialID(), prune: random.nextInt(below: 2) == 0))
            case 4:
                let bytes = Array((0..<random.nextInt(below: 2048)).map { _ in UInt8(truncatingIfNeeded: random.next()) })
                return envelope(.dataset, DatasetMessage(hash: pick([sha256Hex(Data(bytes)), String(repeating: "a", count: 64)]), fileExtension: pick(["csv", "npz", "../../etc", "x/y"])), attachment: bytes)
            case 5: return Envelope(type: .heartbeat).frames
            default: return Envelope(type: pick([.hello, .result, .submit, .reply])).frames
            }
        }
    }

    /// Two to five messages in one `batch`, some of them broken inside (the frame-level
    /// mutations below then break the batch itself).
    private mutating func batch() -> [[UInt8]] {
        var frames = [Array(WireProtocol.version.utf8), Array(MessageType.batch.rawValue.utf8)]
        for _ in 0..<(2 + random.nextInt(below: 4)) {
            var inner = template()
            if random.nextInt(below: 3) == 0 { mutateJSON(&inner) }
            // Inner messages carry no attachment; a type and a body each.
            if inner.count >= 3 { frames += [inner[1], inner[2]] }
        }
        return frames
    }

    // MARK: Mutations

    private mutating func mutate(_ frames: inout [[UInt8]]) {
        switch random.nextInt(below: 9) {
        case 0, 1, 2: mutateJSON(&frames)
        case 3:  // flip bytes in the body
            guard frames.count > 2, !frames[2].isEmpty else { return }
            for _ in 0..<(1 + random.nextInt(below: 4)) {
                frames[2][random.nextInt(below: frames[2].count)] = UInt8(truncatingIfNeeded: random.next())
            }
        case 4:  // cut the body
            guard frames.count > 2 else { return }
            frames[2] = Array(frames[2].prefix(random.nextInt(below: frames[2].count + 1)))
        case 5:  // frames dropped, repeated, added or emptied
            switch random.nextInt(below: 4) {
            case 0: if !frames.isEmpty { frames.remove(at: random.nextInt(below: frames.count)) }
            case 1: if let frame = frames.last { frames.append(frame) }
            case 2: frames.append(contentsOf: Array(repeating: [], count: 1 + random.nextInt(below: 4)))
            default: if !frames.isEmpty { frames[random.nextInt(below: frames.count)] = [] }
            }
        case 6:  // another type, known or not
            guard frames.count > 1 else { return }
            let ending: Set<MessageType> = direction == .toWorker ? [.shutdown, .refuse] : []
            let types = MessageType.allCases.filter { !ending.contains($0) }.map(\.rawValue)
            frames[1] = Array(pick(types + ["", "HELLO", "result\u{0}", String(repeating: "t", count: 500)]).utf8)
        case 7:  // another protocol version
            if !frames.isEmpty { frames[0] = Array(pick(["tuna/1", "tuna/2", "tuna/4", "", "tuna/3\u{0}"]).utf8) }
        default:  // a large body
            guard frames.count > 2 else { return }
            frames[2] = Array(repeating: UInt8(ascii: "9"), count: (16 << 10) << random.nextInt(below: 5))
        }
    }

    /// One field of the JSON body replaced, removed, or added, with values that break
    /// conversions and assumptions: huge and negative numbers, wrong types, long strings.
    private mutating func mutateJSON(_ frames: inout [[UInt8]]) {
        guard frames.count > 2,
              var object = (try? JSONSerialization.jsonObject(with: Data(frames[2]))) as? [String: Any] else { return }
        let extremes: [Any] = [
            -1, 0, 1e308, -1e308, 9_223_372_036_854_775_807, -9_223_372_036_854_775_808, 18_446_744_073_709_551_615.0,
            1.5, "", String(repeating: "x", count: 10_000), "\u{1b}[2J\u{7}", NSNull(), true, [Any](), [String: Any](),
            "NaN", ["nested": ["deep": [1, 2, 3]]],
        ]
        let keys = Array(object.keys)
        switch random.nextInt(below: 4) {
        case 0, 1: if let key = keys.isEmpty ? nil : pick(keys) { object[key] = pick(extremes) }
        case 2: if let key = keys.isEmpty ? nil : pick(keys) { object[key] = nil }
        default: object[pick(["extra", "trialID", "params", "value", "studyText"])] = pick(extremes)
        }
        if let data = try? JSONSerialization.data(withJSONObject: object) { frames[2] = Array(data) }
    }

    private mutating func noise() -> [[UInt8]] {
        (0..<(1 + random.nextInt(below: 5))).map { _ in
            (0..<random.nextInt(below: 200)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        }
    }
}
