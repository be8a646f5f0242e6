import CTunaLoops

/// Vectorised elementwise loops of the training step (C, compiled per CPU generation).
public enum VectorLoops {
    /// One Adam step over `count` weights (see `Adam` for the rule).
    @inline(__always)
    public static func adam(
        weights: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>, m: UnsafeMutablePointer<Float>,
        v: UnsafeMutablePointer<Float>, vMax: UnsafeMutablePointer<Float>?, count: Int,
        beta1: Float, beta2: Float, stepSize: Float, epsilon: Float
    ) {
        if let vMax {
            tuna_adam_amsgrad_update(weights, gradients, m, v, vMax, count, beta1, beta2, stepSize, epsilon)
        } else {
            tuna_adam_update(weights, gradients, m, v, count, beta1, beta2, stepSize, epsilon)
        }
    }

    /// `y = max(z, 0)`.
    @inline(__always)
    public static func relu(_ z: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        tuna_relu_forward(z, y, count)
    }

    /// `dz = z > 0 ? dy : 0`.
    @inline(__always)
    public static func reluGradient(z: UnsafePointer<Float>, dy: UnsafePointer<Float>, dz: UnsafeMutablePointer<Float>, count: Int) {
        tuna_relu_backward(z, dy, dz, count)
    }

    /// Sums of the columns of a row-major `rows x columns` matrix.
    @inline(__always)
    public static func columnSums(_ x: UnsafePointer<Float>, rows: Int, columns: Int, into out: UnsafeMutablePointer<Float>) {
        tuna_column_sums(x, rows, columns, out)
    }

    /// Copies `row` into every row of `y`.
    @inline(__always)
    public static func broadcastRows(_ row: UnsafePointer<Float>, rows: Int, columns: Int, into y: UnsafeMutablePointer<Float>) {
        tuna_broadcast_rows(row, rows, columns, y)
    }

    /// The index of the first NaN or infinity, or nil when every value is finite.
    public static func firstNonFinite(_ x: UnsafePointer<Float>, count: Int) -> Int? {
        let index = tuna_first_nonfinite(x, count)
        return index < 0 ? nil : index
    }

    /// One LSTM step for one row (see `tuna_lstm_cell`): activates the gates in `z` in place and
    /// writes the cell, its tanh and the state.
    @inline(__always)
    public static func lstmCell(
        gates z: UnsafeMutablePointer<Float>, previousCell: UnsafePointer<Float>?, cell: UnsafeMutablePointer<Float>,
        cellTanh: UnsafeMutablePointer<Float>, state: UnsafeMutablePointer<Float>, units: Int
    ) {
        tuna_lstm_cell(z, previousCell, cell, cellTanh, state, units)
    }

    /// One GRU step for one row (see `tuna_gru_cell`).
    @inline(__always)
    public static func gruCell(
        gates g: UnsafeMutablePointer<Float>, recurrent: UnsafePointer<Float>, previousState: UnsafePointer<Float>?,
        state: UnsafeMutablePointer<Float>, units: Int
    ) {
        tuna_gru_cell(g, recurrent, previousState, state, units)
    }

    /// `y = tanh(z)` (rational approximation, absolute error below 4e-7; `y` may be `z`).
    @inline(__always)
    public static func tanh(_ z: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        tuna_tanh_forward(z, y, count)
    }

    /// `y = 1 / (1 + exp(-z))` by the same approximation (`y` may be `z`).
    @inline(__always)
    public static func sigmoid(_ z: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        tuna_sigmoid_forward(z, y, count)
    }

    /// Softmax over each row of `rows × n` values in place; an all −∞ row becomes zeros.
    @inline(__always)
    public static func softmaxRows(_ x: UnsafeMutablePointer<Float>, rows: Int, columns n: Int) {
        tuna_softmax_rows(x, rows, n)
    }

    /// Through a row-wise softmax: `d = scale · a ⊙ (d − Σ a ⊙ d)` per row, `a` its output.
    @inline(__always)
    public static func softmaxBackwardRows(
        output a: UnsafePointer<Float>, gradient d: UnsafeMutablePointer<Float>, rows: Int, columns n: Int, scale: Float
    ) {
        tuna_softmax_backward_rows(a, d, rows, n, scale)
    }
}
