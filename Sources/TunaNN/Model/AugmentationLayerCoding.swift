/// Study-file forms of the augmentation layers' settings (Keras's names): factors are one
/// number `f` (the range [−f, f]) or a `[lower, upper]` pair; fill settings are flat keys.

extension FactorRange: Codable {
    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let factor = try? c.decode(Float.self) {
            self.init(factor)
            return
        }
        guard let pair = try? c.decode([Float].self), pair.count == 2 else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "a factor is one number f (for [-f, f]) or a [lower, upper] pair")
        }
        self.init(lower: pair[0], upper: pair[1])
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        if lower == -upper { try c.encode(upper) } else { try c.encode([lower, upper]) }
    }
}

/// The keys every geometric augmentation layer takes besides its factors.
enum WarpCodingKeys: String, CodingKey, CaseIterable {
    case factor, seed, name
    case heightFactor = "height_factor"
    case widthFactor = "width_factor"
    case fillMode = "fill_mode"
    case interpolation
    case fillValue = "fill_value"

    static func known(_ factors: [WarpCodingKeys]) -> [String] {
        (factors + [.seed, .name, .fillMode, .interpolation, .fillValue]).map(\.rawValue)
    }
}

extension WarpFill {
    init(from c: KeyedDecodingContainer<WarpCodingKeys>) throws {
        self.init(
            fillMode: try c.decodeIfPresent(FillMode.self, forKey: .fillMode) ?? .reflect,
            interpolation: try c.decodeIfPresent(Interpolation.self, forKey: .interpolation) ?? .bilinear,
            fillValue: try c.decodeIfPresent(Float.self, forKey: .fillValue) ?? 0)
    }

    func encode(to c: inout KeyedEncodingContainer<WarpCodingKeys>) throws {
        try c.encode(fillMode, forKey: .fillMode)
        try c.encode(interpolation, forKey: .interpolation)
        try c.encode(fillValue, forKey: .fillValue)
    }
}

extension RandomFlip.Config: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable { case mode, seed, name }

    public init(from decoder: Decoder) throws {
        try checkKeys(decoder, known: CodingKeys.allCases.map(\.rawValue), layer: "random_flip")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            mode: try c.decodeIfPresent(RandomFlip.Mode.self, forKey: .mode) ?? .horizontalAndVertical,
            seed: try c.decodeIfPresent(UInt64.self, forKey: .seed),
            name: try c.decodeIfPresent(String.self, forKey: .name))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(mode, forKey: .mode)
        try c.encodeIfPresent(seed, forKey: .seed)
        try c.encodeIfPresent(name, forKey: .name)
    }
}

extension RandomTranslation.Config: Codable {
    public init(from decoder: Decoder) throws {
        try checkKeys(decoder, known: WarpCodingKeys.known([.heightFactor, .widthFactor]), layer: "random_translation")
        let c = try decoder.container(keyedBy: WarpCodingKeys.self)
        self.init(
            heightFactor: try c.decode(FactorRange.self, forKey: .heightFactor),
            widthFactor: try c.decode(FactorRange.self, forKey: .widthFactor),
            fill: try WarpFill(from: c),
            seed: try c.decodeIfPresent(UInt64.self, forKey: .seed),
            name: try c.decodeIfPresent(String.self, forKey: .name))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: WarpCodingKeys.self)
        try c.encode(heightFactor, forKey: .heightFactor)
        try c.encode(widthFactor, forKey: .widthFactor)
        try fill.encode(to: &c)
        try c.encodeIfPresent(seed, forKey: .seed)
        try c.encodeIfPresent(name, forKey: .name)
    }
}

extension RandomRotation.Config: Codable {
    public init(from decoder: Decoder) throws {
        try checkKeys(decoder, known: WarpCodingKeys.known([.factor]), layer: "random_rotation")
        let c = try decoder.container(keyedBy: WarpCodingKeys.self)
        self.init(
            factor: try c.decode(FactorRange.self, forKey: .factor),
            fill: try WarpFill(from: c),
            seed: try c.decodeIfPresent(UInt64.self, forKey: .seed),
            name: try c.decodeIfPresent(String.self, forKey: .name))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: WarpCodingKeys.self)
        try c.encode(factor, forKey: .factor)
        try fill.encode(to: &c)
        try c.encodeIfPresent(seed, forKey: .seed)
        try c.encodeIfPresent(name, forKey: .name)
    }
}

extension RandomZoom.Config: Codable {
    public init(from decoder: Decoder) throws {
        try checkKeys(decoder, known: WarpCodingKeys.known([.heightFactor, .widthFactor]), layer: "random_zoom")
        let c = try decoder.container(keyedBy: WarpCodingKeys.self)
        self.init(
            heightFactor: try c.decode(FactorRange.self, forKey: .heightFactor),
            widthFactor: try c.decodeIfPresent(FactorRange.self, forKey: .widthFactor),
            fill: try WarpFill(from: c),
            seed: try c.decodeIfPresent(UInt64.self, forKey: .seed),
            name: try c.decodeIfPresent(String.self, forKey: .name))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: WarpCodingKeys.self)
        try c.encode(heightFactor, forKey: .heightFactor)
        try c.encodeIfPresent(widthFactor, forKey: .widthFactor)
        try fill.encode(to: &c)
        try c.encodeIfPresent(seed, forKey: .seed)
        try c.encodeIfPresent(name, forKey: .name)
    }
}

extension GaussianNoise.Config: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable { case stddev, seed, name }

    public init(from decoder: Decoder) throws {
        try checkKeys(decoder, known: CodingKeys.allCases.map(\.rawValue), layer: "gaussian_noise")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            stddev: try c.decode(Float.self, forKey: .stddev),
            seed: try c.decodeIfPresent(UInt64.self, forKey: .seed),
            name: try c.decodeIfPresent(String.self, forKey: .name))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(stddev, forKey: .stddev)
        try c.encodeIfPresent(seed, forKey: .seed)
        try c.encodeIfPresent(name, forKey: .name)
    }
}
