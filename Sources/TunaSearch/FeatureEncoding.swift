/// Maps parameter dictionaries to the GP's input vectors and back.
///
/// One feature per searchable parameter, in declaration order: floats and ints sit in [0, 1]
/// on their search scale (log where declared; ints and stepped floats at the centre of their
/// bin), categoricals hold the choice index (the kernel compares them by equality). An inactive
/// conditional parameter is encoded as 0.5 (numeric) or −1 (categorical, a value no choice has).
struct FeatureEncoding: Sendable {
    enum Kind: Sendable {
        case continuous(NumericScale)
        case ordinal(NumericScale)
        case categorical([ParameterValue])
    }

    let names: [String]
    let kinds: [Kind]
    let domains: [Domain]
    var dimensions: Int { names.count }

    init(space: SearchSpace) {
        var names: [String] = []
        var kinds: [Kind] = []
        var domains: [Domain] = []
        for p in space.parameters {
            switch p.domain {
            case .fixed: continue
            case .categorical(let v): kinds.append(.categorical(v))
            case .float(let f):
                let s = NumericScale(f)
                kinds.append(s.step == nil ? .continuous(s) : .ordinal(s))
            case .int(let i): kinds.append(.ordinal(NumericScale(i)))
            }
            names.append(p.name)
            domains.append(p.domain)
        }
        self.names = names
        self.kinds = kinds
        self.domains = domains
    }

    var categoricalMask: [Bool] {
        kinds.map { if case .categorical = $0 { return true } else { return false } }
    }

    /// Feature vector of a parameter dictionary.
    func encode(_ params: Parameters) -> [Double] {
        (0..<dimensions).map { c in
            let v = params[names[c]]
            switch kinds[c] {
            case .continuous(let s), .ordinal(let s):
                guard let v else { return 0.5 }
                return s.unit(of: v) ?? 0.5
            case .categorical(let values):
                guard let v else { return -1 }
                return Double(values.firstIndex { $0.matches(v) } ?? -1)
            }
        }
    }

    /// A valid feature vector from a point of the unit cube (discrete features snapped).
    func fromUnit(_ u: [Double]) -> [Double] {
        var f = u
        for c in 0..<dimensions {
            switch kinds[c] {
            case .continuous: f[c] = min(max(u[c], 0), 1)
            case .ordinal(let s): f[c] = s.unit(of: s.value(atUnit: u[c])) ?? u[c]
            case .categorical(let v): f[c] = Double(min(Int(max(u[c], 0) * Double(v.count)), v.count - 1))
            }
        }
        return f
    }

    /// Snaps ordinal features to the centre of their value's bin (after continuous refinement).
    func snap(_ f: [Double]) -> [Double] {
        var g = f
        for c in 0..<dimensions {
            if case .ordinal(let s) = kinds[c] { g[c] = s.unit(of: s.value(atUnit: f[c])) ?? f[c] }
        }
        return g
    }

    /// Feature values to try for one discrete coordinate around `f[c]` (neighbouring steps or
    /// every other choice); empty for continuous features.
    func neighbours(of f: [Double], at c: Int) -> [Double] {
        switch kinds[c] {
        case .continuous: return []
        case .categorical(let v): return (0..<v.count).map(Double.init).filter { $0 != f[c] }
        case .ordinal(let s):
            guard let x = s.value(atUnit: f[c]).number, let step = s.step else { return [] }
            return [x - step, x + step].compactMap { y -> Double? in
                let value: ParameterValue = s.isInt ? .int(Int(y.rounded())) : .double(y)
                guard let t = s.coordinate(of: value), t >= s.lower, t <= s.upper else { return nil }
                return s.unit(of: value)
            }
        }
    }

    /// Parameters for a feature vector, filling the space in dependency order.
    func decode(_ f: [Double], space: SearchSpace, ordered: [Parameter]) -> Parameters {
        var column: [String: Int] = [:]
        for (i, n) in names.enumerated() { column[n] = i }
        return space.assemble(ordered) { p, _ in
            guard let c = column[p.name] else { return p.domain.value(atUnit: 0.5) }
            switch kinds[c] {
            case .continuous(let s), .ordinal(let s): return s.value(atUnit: f[c])
            case .categorical(let v): return v[min(max(Int(f[c]), 0), v.count - 1)]
            }
        }
    }
}
