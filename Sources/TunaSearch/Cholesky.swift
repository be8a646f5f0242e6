import CBLAS

/// Cholesky factor `K = L Lᵀ` of a symmetric positive-definite matrix, in float64 (LAPACK).
///
/// Kernel matrices of nearby points are nearly singular; when `dpotrf` fails, a jitter
/// (starting at 1e-10 of the mean diagonal, ×10 each time, up to 1e-2) is added to the
/// diagonal, so the factorisation only fails for matrices that are not covariance matrices.
struct Cholesky: Sendable {
    let n: Int
    /// Column-major; the lower triangle holds L, the strict upper triangle is zero.
    let factor: [Double]
    /// Jitter that had to be added to the diagonal (0 when none).
    let jitter: Double

    enum Failure: Error { case notPositiveDefinite }

    /// Factorises column-major `matrix` (n × n, symmetric).
    init(_ matrix: [Double], n: Int) throws {
        self.n = n
        var meanDiag = 0.0
        for i in 0..<n { meanDiag += matrix[i * n + i] }
        meanDiag = n > 0 ? max(meanDiag / Double(n), 1e-300) : 1
        var added = 0.0
        var step = 1e-10 * meanDiag
        while true {
            var a = matrix
            if added > 0 { for i in 0..<n { a[i * n + i] += added } }
            var info: Int32 = 0
            var nn = Int32(n)
            var lda = Int32(max(n, 1))
            var uplo = CChar(UInt8(ascii: "L"))
            a.withUnsafeMutableBufferPointer { dpotrf_(&uplo, &nn, $0.baseAddress, &lda, &info) }
            if info == 0 {
                for j in 0..<n { for i in 0..<j { a[j * n + i] = 0 } }
                factor = a
                jitter = added
                return
            }
            if step > 1e-2 * meanDiag || !meanDiag.isFinite { throw Failure.notPositiveDefinite }
            added = step
            step *= 10
        }
    }

    /// `K⁻¹ b`.
    func solve(_ b: [Double]) -> [Double] {
        // Two triangular solves (BLAS 2), not `dpotrs`: for one right-hand side OpenBLAS's
        // `dpotrs` goes through `dtrsm`, which packs the factor for a matrix product each call —
        // most of the acquisition optimiser's time, which solves once per gradient.
        var x = b
        factor.withUnsafeBufferPointer { f in
            x.withUnsafeMutableBufferPointer { p in
                cblas_dtrsv(CblasColMajor, CblasLower, CblasNoTrans, CblasNonUnit, Int32(n), f.baseAddress, Int32(max(n, 1)), p.baseAddress, 1)
                cblas_dtrsv(CblasColMajor, CblasLower, CblasTrans, CblasNonUnit, Int32(n), f.baseAddress, Int32(max(n, 1)), p.baseAddress, 1)
            }
        }
        return x
    }

    /// `L⁻¹ b` in place.
    func solveLower(_ b: inout [Double]) {
        factor.withUnsafeBufferPointer { f in
            b.withUnsafeMutableBufferPointer {
                cblas_dtrsv(CblasColMajor, CblasLower, CblasNoTrans, CblasNonUnit, Int32(n), f.baseAddress, Int32(n), $0.baseAddress, 1)
            }
        }
    }

    /// `L⁻ᵀ b` in place.
    func solveUpper(_ b: inout [Double]) {
        factor.withUnsafeBufferPointer { f in
            b.withUnsafeMutableBufferPointer {
                cblas_dtrsv(CblasColMajor, CblasLower, CblasTrans, CblasNonUnit, Int32(n), f.baseAddress, Int32(n), $0.baseAddress, 1)
            }
        }
    }

    /// `L⁻¹ B` in place for a column-major n × m matrix.
    func solveLower(matrix b: inout [Double], columns m: Int) {
        guard m > 0, n > 0 else { return }
        factor.withUnsafeBufferPointer { f in
            b.withUnsafeMutableBufferPointer {
                cblas_dtrsm(CblasColMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit,
                            Int32(n), Int32(m), 1.0, f.baseAddress, Int32(n), $0.baseAddress, Int32(n))
            }
        }
    }

    /// `K⁻¹`, full symmetric, column-major.
    func inverse() -> [Double] {
        var a = factor
        var info: Int32 = 0
        var nn = Int32(n)
        var lda = Int32(max(n, 1))
        var uplo = CChar(UInt8(ascii: "L"))
        a.withUnsafeMutableBufferPointer { dpotri_(&uplo, &nn, $0.baseAddress, &lda, &info) }
        for j in 0..<n { for i in 0..<j { a[j * n + i] = a[i * n + j] } }
        return a
    }

    /// `log det K = 2 Σ log Lᵢᵢ`.
    var logDeterminant: Double {
        var s = 0.0
        for i in 0..<n { s += 2 * Glibc_log(factor[i * n + i]) }
        return s
    }
}
