import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Raises this process's soft limit on open files to its hard limit, and returns the limit now
/// in force (nil if the system would not say).
///
/// A scheduler holds a socket per worker, and ZeroMQ one more descriptor per socket besides;
/// many distributions start processes at a soft limit of 1,024 under a hard one of many
/// thousands, which a well-made server lifts for itself (as Go's runtime and nginx do) rather
/// than failing at its thousandth worker.
@discardableResult
public func raiseOpenFileLimit() -> UInt64? {
    var limit = rlimit()
    guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return nil }
    if limit.rlim_cur < limit.rlim_max {
        var raised = limit
        raised.rlim_cur = limit.rlim_max
        if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { return UInt64(raised.rlim_cur) }
    }
    return UInt64(limit.rlim_cur)
}
