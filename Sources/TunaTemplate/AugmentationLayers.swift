import TunaData
import TunaNN
import TunaSpec

extension Augmentation {
    /// The layers that apply these settings, to put in front of a network whose samples have
    /// `inputShape`: geometric ones need images (height, width, channels); noise fits any data.
    /// They act while training only, so validation folds and predictions see the data as is.
    public func layerSpecs(inputShape: [Int]) throws -> [LayerSpec] {
        var layers: [LayerSpec] = []
        let geometric = flipHorizontal || flipVertical || rotation != 0 || shift != 0 || zoom != 0
        if geometric && inputShape.count != 3 {
            throw NNError.invalidArgument("augment: flips, rotation, shift and zoom apply to images (height, width, channels), but the samples have shape \(inputShape); set data.input_shape or use noise only")
        }
        switch (flipHorizontal, flipVertical) {
        case (true, true): layers.append(.randomFlip(.init(mode: .horizontalAndVertical)))
        case (true, false): layers.append(.randomFlip(.init(mode: .horizontal)))
        case (false, true): layers.append(.randomFlip(.init(mode: .vertical)))
        case (false, false): break
        }
        // Keras takes fractions of a turn; study files say degrees.
        if rotation != 0 { layers.append(.randomRotation(.init(factor: FactorRange(Float(rotation / 360))))) }
        if shift != 0 { layers.append(.randomTranslation(.init(heightFactor: FactorRange(Float(shift)), widthFactor: FactorRange(Float(shift))))) }
        if zoom != 0 { layers.append(.randomZoom(.init(heightFactor: FactorRange(Float(zoom))))) }
        if noise != 0 { layers.append(.gaussianNoise(.init(stddev: Float(noise)))) }
        return layers
    }
}
