import Foundation

/// The protobuf wire format, as far as ONNX files need it: varints, length-delimited fields
/// (strings, bytes, nested messages, packed numbers) and 32-bit floats. Written by hand rather
/// than generated with swift-protobuf: the few messages ONNX needs fit in a page, and the
/// plugin's build would cost every clean build minutes.
struct ProtoWriter {
    private(set) var bytes: [UInt8] = []

    /// Wire types of the field keys.
    private enum Wire: UInt64 {
        case varint = 0, lengthDelimited = 2, fixed32 = 5
    }

    private mutating func key(_ field: Int, _ wire: Wire) { varint(UInt64(field) << 3 | wire.rawValue) }

    private mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7f) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    /// An int64 or int32 field (negative numbers take ten bytes, as protobuf specifies).
    mutating func int(_ field: Int, _ value: Int) {
        key(field, .varint)
        varint(UInt64(bitPattern: Int64(value)))
    }

    mutating func float(_ field: Int, _ value: Float) {
        key(field, .fixed32)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func data(_ field: Int, _ value: [UInt8]) {
        key(field, .lengthDelimited)
        varint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    mutating func string(_ field: Int, _ value: String) { data(field, Array(value.utf8)) }

    mutating func message(_ field: Int, _ body: (inout ProtoWriter) -> Void) {
        var inner = ProtoWriter()
        body(&inner)
        data(field, inner.bytes)
    }

    /// A packed repeated int64 field.
    mutating func packedInts(_ field: Int, _ values: [Int]) {
        var inner = ProtoWriter()
        for v in values { inner.varint(UInt64(bitPattern: Int64(v))) }
        data(field, inner.bytes)
    }

    /// A packed repeated float field.
    mutating func packedFloats(_ field: Int, _ values: [Float]) {
        var raw: [UInt8] = []
        raw.reserveCapacity(values.count * 4)
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { raw.append(contentsOf: $0) } }
        data(field, raw)
    }
}
