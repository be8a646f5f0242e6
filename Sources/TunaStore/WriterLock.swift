import Foundation

/// An exclusive lock on `<database>.lock`: one scheduler writes a database at a time. The
/// lock goes with the process (flock), so a crashed scheduler never leaves a stale one behind.
public final class WriterLock {
    private let descriptor: Int32

    /// Takes the lock, or throws an error that names the process holding it.
    public init(database path: String) throws {
        let lockPath = path + ".lock"
        let descriptor = open(lockPath, O_RDWR | O_CREAT, 0o644)
        guard descriptor >= 0 else {
            throw StoreError.cannotOpen(path: lockPath, reason: String(cString: strerror(errno)))
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            var buffer = [UInt8](repeating: 0, count: 32)
            let count = read(descriptor, &buffer, buffer.count)
            close(descriptor)
            let holder = count > 0 ? String(decoding: buffer.prefix(count), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : "?"
            throw StoreError.cannotOpen(path: path, reason: "the database is in use by another scheduler (pid \(holder))")
        }
        _ = ftruncate(descriptor, 0)
        let pid = Array("\(getpid())\n".utf8)
        _ = pwrite(descriptor, pid, pid.count, 0)
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }
}
