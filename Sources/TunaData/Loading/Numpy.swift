import Foundation
import TunaTensor
import ZIPFoundation

/// An array read from a NumPy `.npy` file (or one entry of an `.npz` archive).
///
/// Only what NumPy writes for ordinary numeric data is accepted: little-endian (or
/// byte-order-free) float32, float64, int32, int64, uint8 and bool, in C order. Anything else
/// is refused with a message that says how to re-save the array, rather than guessed at.
public struct NumpyArray: Sendable, Equatable {
    /// The element types Tuna reads.
    public enum DType: String, Sendable, Hashable, CaseIterable {
        case float32, float64, int32, int64, uint8, bool

        /// The NumPy `descr` strings for this type (`|` and `<` prefixes, `=` on little-endian).
        var descriptors: [String] {
            switch self {
            case .float32: ["<f4", "=f4", "f4"]
            case .float64: ["<f8", "=f8", "f8"]
            case .int32: ["<i4", "=i4", "i4"]
            case .int64: ["<i8", "=i8", "i8"]
            case .uint8: ["|u1", "<u1", "u1"]
            case .bool: ["|b1", "b1", "?"]
            }
        }

        var size: Int {
            switch self {
            case .float32, .int32: 4
            case .float64, .int64: 8
            case .uint8, .bool: 1
            }
        }
    }

    /// The extent of each axis (empty for a scalar).
    public var shape: [Int]
    public var dtype: DType
    /// The elements in C order, widened to Double (exact for every supported type except int64
    /// values beyond 2^53, which no label or feature realistically holds).
    public var values: [Double]

    public init(shape: [Int], dtype: DType, values: [Double]) {
        self.shape = shape
        self.dtype = dtype
        self.values = values
    }

    /// The number of elements.
    public var count: Int { values.count }

    /// The elements as a Float32 tensor of the same shape (a scalar becomes shape `[1]`).
    public func tensor() -> Tensor {
        Tensor(values.map { Float($0) }, shape: shape.isEmpty ? [1] : shape)
    }

    /// The elements as integers (class labels); throws when one is not a whole number.
    public func integers(source: String? = nil) throws -> [Int] {
        try values.enumerated().map { index, value in
            guard value.isFinite, value.rounded() == value, abs(value) < 9.0e15 else {
                throw DataError("element \(index) is \(value), not a whole number (labels must be integers)", file: source)
            }
            return Int(value)
        }
    }
}

/// Readers for NumPy's `.npy` and `.npz` formats.
public enum Numpy {
    /// Reads a `.npy` file.
    public static func loadNPY(path: String) throws -> NumpyArray {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw DataError("cannot read the file (\(error.localizedDescription))", file: path)
        }
        return try parseNPY([UInt8](data), source: path)
    }

    /// Reads every array of an `.npz` archive (plain or compressed), keyed by name without `.npy`.
    public static func loadNPZ(path: String) throws -> [String: NumpyArray] {
        let archive: Archive
        do {
            archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read)
        } catch {
            throw DataError("not a readable NPZ (zip) archive (\(error))", file: path)
        }
        var arrays: [String: NumpyArray] = [:]
        for entry in archive where entry.type == .file {
            let name = entry.path.hasSuffix(".npy") ? String(entry.path.dropLast(4)) : entry.path
            var bytes: [UInt8] = []
            bytes.reserveCapacity(min(Int(clamping: entry.uncompressedSize), 1 << 26))  // the header may lie
            do {
                _ = try archive.extract(entry) { chunk in bytes.append(contentsOf: chunk) }
            } catch {
                throw DataError("cannot extract entry '\(entry.path)' (\(error))", file: path)
            }
            arrays[name] = try parseNPY(bytes, source: "\(path) entry '\(entry.path)'")
        }
        return arrays
    }

    /// Parses the bytes of one `.npy` file; `source` names it in errors.
    public static func parseNPY(_ bytes: [UInt8], source: String = "<npy>") throws -> NumpyArray {
        let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // "\x93NUMPY"
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else {
            throw DataError("not an NPY array (the file does not start with \\x93NUMPY)", file: source)
        }
        let major = bytes[6]
        let headerLength: Int
        let headerStart: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw DataError("truncated NPY header", file: source) }
            headerLength = (0..<4).reduce(0) { $0 | Int(bytes[8 + $1]) << (8 * $1) }
            headerStart = 12
        default:
            throw DataError("NPY format version \(major) is not supported (1, 2 and 3 are)", file: source)
        }
        guard headerStart + headerLength <= bytes.count else { throw DataError("truncated NPY header", file: source) }
        let header = String(decoding: bytes[headerStart..<(headerStart + headerLength)], as: UTF8.self)

        guard let descr = quotedValue(of: "descr", in: header) else {
            throw DataError("NPY header has no 'descr' (\(header.trimmingCharacters(in: .whitespacesAndNewlines)))", file: source)
        }
        guard let dtype = DTypeTable.byDescriptor[descr] else {
            let supported = NumpyArray.DType.allCases.map(\.rawValue).joined(separator: ", ")
            let hint = descr.hasPrefix(">") ? "; big-endian data: save it with arr.astype(arr.dtype.newbyteorder('<'))" : ""
            throw DataError("unsupported dtype '\(descr)' (supported: \(supported), little-endian)\(hint)", file: source)
        }
        if header.range(of: "'fortran_order': True") != nil || header.range(of: "\"fortran_order\": True") != nil {
            throw DataError("Fortran-order arrays are not supported; save np.ascontiguousarray(arr) instead", file: source)
        }
        let shape = try parseShape(header, source: source)
        var count = 1
        for extent in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: extent)
            guard !overflow, product < Int.max / 8 else { throw DataError("NPY shape \(shape) is too large", file: source) }
            count = product
        }
        let dataStart = headerStart + headerLength
        let needed = count * dtype.size
        guard bytes.count - dataStart >= needed else {
            throw DataError(
                "the header promises \(count) \(dtype.rawValue) values (\(needed) bytes), the file holds \(bytes.count - dataStart)",
                file: source)
        }
        let values: [Double] = bytes.withUnsafeBytes { raw in
            guard let start = raw.baseAddress else { return [] }
            let base = start + dataStart
            switch dtype {
            case .float32: return (0..<count).map { Double(base.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self)) }
            case .float64: return (0..<count).map { base.loadUnaligned(fromByteOffset: $0 * 8, as: Double.self) }
            case .int32: return (0..<count).map { Double(base.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self)) }
            case .int64: return (0..<count).map { Double(base.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self)) }
            case .uint8: return (0..<count).map { Double(base.load(fromByteOffset: $0, as: UInt8.self)) }
            case .bool: return (0..<count).map { base.load(fromByteOffset: $0, as: UInt8.self) != 0 ? 1 : 0 }
            }
        }
        return NumpyArray(shape: shape, dtype: dtype, values: values)
    }

    enum DTypeTable {
        static let byDescriptor: [String: NumpyArray.DType] = {
            var table: [String: NumpyArray.DType] = [:]
            for type in NumpyArray.DType.allCases { for d in type.descriptors { table[d] = type } }
            return table
        }()
    }

    /// The quoted string after `'key':` in a header dict.
    static func quotedValue(of key: String, in header: String) -> String? {
        guard let keyRange = header.range(of: "'\(key)'") ?? header.range(of: "\"\(key)\"") else { return nil }
        let rest = header[keyRange.upperBound...].drop { $0 == ":" || $0 == " " }
        guard let quote = rest.first, quote == "'" || quote == "\"" else { return nil }
        let body = rest.dropFirst()
        guard let end = body.firstIndex(of: quote) else { return nil }
        return String(body[..<end])
    }

    /// The tuple after `'shape':`, e.g. `(40, 100, 6)`, `(5,)` or `()`.
    static func parseShape(_ header: String, source: String) throws -> [Int] {
        guard let keyRange = header.range(of: "'shape'") ?? header.range(of: "\"shape\""),
              let open = header[keyRange.upperBound...].firstIndex(of: "("),
              let close = header[open...].firstIndex(of: ")")
        else { throw DataError("NPY header has no 'shape'", file: source) }
        let parts = header[header.index(after: open)..<close].split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return try parts.map { part in
            guard let extent = Int(part.hasSuffix("L") ? String(part.dropLast()) : part), extent >= 0 else {
                throw DataError("NPY shape has a bad extent '\(part)'", file: source)
            }
            return extent
        }
    }
}
