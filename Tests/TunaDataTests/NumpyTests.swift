import Foundation
import Testing
@testable import TunaData

@Suite struct NumpyTests {
    @Test func everySupportedDtypeReads() throws {
        let arrays = try Numpy.loadNPZ(path: Fixture.path("dtypes.npz"))
        let base: [Double] = [1, 0, 3, 4, 5, 0]
        let expected: [String: (NumpyArray.DType, [Double])] = [
            "f4": (.float32, base.map { $0 + 0.5 }), "f8": (.float64, base.map { $0 / 4 }),
            "i4": (.int32, base.map { $0 - 2 }), "i8": (.int64, base.map { $0 * 1000 }),
            "u1": (.uint8, base), "b1": (.bool, base.map { $0 != 0 ? 1 : 0 }),
        ]
        for (name, (dtype, values)) in expected {
            let array = try #require(arrays[name], "\(name)")
            #expect(array.dtype == dtype && array.shape == [2, 3] && array.values == values, "\(name)")
        }
        #expect(arrays["scalar"]?.shape == [] && arrays["scalar"]?.values == [7.25])
        #expect(try arrays["vector"]?.integers() == [0, 1, 2, 3, 4])
    }

    @Test func compressedArchiveAndDatasetShape() throws {
        let dataset = try Dataset.load(path: Fixture.path("compressed.npz"), target: "y", task: .classification, featuresKey: "x")
        #expect(dataset.rowCount == 2 && dataset.inputShape == [3, 2])
        #expect(dataset.targets == .classes([0, 1], names: ["0", "1"]))
        let (fitted, _) = try Pipeline().fit(dataset)
        let x = try fitted.features(dataset.features)
        #expect(x.shape == [2, 3, 2] && x.scalars == (0..<12).map(Float.init))
    }

    @Test func basicMotionsArchive() throws {
        let path = Fixture.dataset("basicmotions.npz")
        let arrays = try Numpy.loadNPZ(path: path)
        #expect(arrays["x_train"]?.shape == [40, 100, 6] && arrays["x_train"]?.dtype == .float32)
        #expect(arrays["y_train"]?.dtype == .int64)
        let dataset = try Dataset.load(path: path, target: "y_train", task: .classification, featuresKey: "x_train")
        #expect(dataset.inputShape == [100, 6] && dataset.targets.classNames?.count == 4)
    }

    @Test func unsupportedLayoutsAreRefused() throws {
        let bad = try Fixture.path("bad_dtype.npz")
        #expect(message { _ = try Numpy.loadNPZ(path: bad) }
            == "\(bad) entry 'x.npy': unsupported dtype '<c16' (supported: float32, float64, int32, int64, uint8, bool, little-endian)")
        let fortran = try Fixture.path("fortran.npz")
        #expect(message { _ = try Numpy.loadNPZ(path: fortran) }
            == "\(fortran) entry 'x.npy': Fortran-order arrays are not supported; save np.ascontiguousarray(arr) instead")
        let bigEndian = try Fixture.path("big_endian.npy")
        #expect(message { _ = try Numpy.loadNPY(path: bigEndian) }?.contains("unsupported dtype '>f4'") == true)
    }

    @Test func corruptFilesThrowInsteadOfCrashing() throws {
        #expect(message { _ = try Numpy.parseNPY([1, 2, 3], source: "x.npy") } == "x.npy: not an NPY array (the file does not start with \\x93NUMPY)")
        let header: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]  // magic, version 1.0
        let dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }\n"
        let truncated = header + [UInt8(dict.utf8.count), 0] + Array(dict.utf8) + [0, 0, 0, 0]
        #expect(message { _ = try Numpy.parseNPY(truncated, source: "t.npy") }
            == "t.npy: the header promises 4 float64 values (32 bytes), the file holds 4")
        let huge = "{'descr': '<f8', 'fortran_order': False, 'shape': (9223372036854775807, 4), }\n"
        #expect(message { _ = try Numpy.parseNPY(header + [UInt8(huge.utf8.count), 0] + Array(huge.utf8), source: "h.npy") }?
            .contains("too large") == true)
        let notZip = try Fixture.temporary("not.npz", "hello")
        #expect(message { _ = try Numpy.loadNPZ(path: notZip) }?.hasPrefix("\(notZip): not a readable NPZ") == true)
    }
}
