import Foundation

/// Writes files so that nothing written is lost: to a temporary file in the same folder, fsynced, renamed
/// into place, and the folder fsynced so that the rename itself survives a crash. A reader sees the old
/// file or the new one, never a part.
public enum AtomicFile {
    public static func write<Bytes: ContiguousBytes>(_ bytes: Bytes, to path: String) throws {
        let dir = (path as NSString).deletingLastPathComponent
        let folder = dir.isEmpty ? "." : dir
        let tmp = folder + "/.\((path as NSString).lastPathComponent).tmp.\(getpid())"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else {
            throw FileError(path, "cannot create \(tmp): \(String(cString: strerror(errno)))")
        }
        var written = 0
        let ok: Bool = bytes.withUnsafeBytes { raw in
            while written < raw.count {
                let n = Foundation.write(fd, raw.baseAddress! + written, raw.count - written)
                if n <= 0 {
                    return false
                }
                written += n
            }
            return fsync(fd) == 0
        }
        let err = String(cString: strerror(errno))
        close(fd)
        guard ok else {
            unlink(tmp)
            throw FileError(path, "cannot write (\(err)); the previous file is intact")
        }
        if let hook = ProcessInfo.processInfo.environment["GTSRB_DEBUG_KILL_BEFORE_RENAME"], path.hasSuffix(hook) {
            kill(getpid(), SIGKILL)
        }
        guard rename(tmp, path) == 0 else {
            let e = String(cString: strerror(errno))
            unlink(tmp)
            throw FileError(path, "cannot rename into place: \(e)")
        }
        syncFolder(folder)
    }

    /// fsyncs a folder, so that a rename into it is durable (best effort: some filesystems refuse).
    static func syncFolder(_ folder: String) {
        let fd = open(folder, O_RDONLY | O_DIRECTORY)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
    }
}
