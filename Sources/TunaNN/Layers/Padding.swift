/// How a convolution or pooling window treats the border, with Keras's names.
///
/// `same` pads like Keras (and TensorFlow): the output has `ceil(input / stride)` positions and
/// the padding total `max((out - 1) * stride + span - input, 0)` is split with the smaller half
/// before, so weights trained here and in Keras line up. `causal` (Conv1D only) pads
/// `span - 1` before, so step `t` sees only steps up to `t`.
public enum Padding: String, Hashable, Sendable, CaseIterable, Codable {
    case valid, same, causal

    public init(from decoder: Decoder) throws {
        let name = try decoder.singleValueContainer().decode(String.self)
        guard let padding = Padding(rawValue: name.lowercased()) else {
            self = try decodingName(decoder) { () -> Padding in
                throw NNError.unknownName(kind: "padding", name: name, known: Padding.allCases.map(\.rawValue))
            }
            return
        }
        self = padding
    }
}
