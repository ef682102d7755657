import DurableIO
import Foundation
import GTSRBData

/// Gives every host of a job rank 0's decoded caches, so that hosts need share no folder: one leader per host
/// (its lowest rank, from `MPI_Comm_split_type`) checks its own `--cache-dir`; a host that already holds a file
/// with the same checksum keeps it (a shared folder, or an earlier run), the others receive it from rank 0 over
/// MPI and write it atomically. That host's ranks then map the leader's file.
struct HostCacheCopy {
    let comm: Communicator
    let cacheDir: String
    let log: (String) -> Void
    /// The ranks of this host; its rank 0 is the leader.
    let host: Communicator

    init(comm: Communicator, cacheDir: String, log: @escaping (String) -> Void) {
        self.comm = comm
        self.cacheDir = cacheDir
        self.log = log
        host = comm.splitByHost()
    }

    /// Makes `path` on every host hold rank 0's cache, whose checksum is `checksum`; rank 0 logs what each
    /// other host did.
    func share(_ path: String, checksum: UInt64) throws {
        guard comm.size > 1 else {
            return
        }
        let leads = host.rank == 0 && !comm.isRoot
        var needs = false
        var note = ""
        try comm.collectively {
            if leads {
                (needs, note) = try inspect(path, checksum: checksum)
            }
        }
        let started = monotonicSeconds()
        let bytes = try comm.copyFile(path, "cache", from: 0, receive: needs)
        if needs {
            note += String(
                format: "received from rank 0 (%.1f MB in %.1f s)", Double(bytes) / 1e6, monotonicSeconds() - started)
        }
        let notes = comm.gather(note)
        let name = (path as NSString).lastPathComponent
        for (r, text) in notes.enumerated() where !text.isEmpty {
            log("cache \(name) on \(comm.hosts[r]) (rank \(r) and its host's ranks): \(text)")
        }
    }

    /// Whether this host must receive the cache, and what it found: a leader creates its `--cache-dir` and
    /// keeps a valid file with rank 0's checksum.
    func inspect(_ path: String, checksum: UInt64) throws -> (needs: Bool, note: String) {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: cacheDir, isDirectory: &isFolder) && !isFolder.boolValue {
            throw FileError(cacheDir, "--cache-dir on this host is a file, not a folder")
        }
        do {
            try FileManager.default.createDirectory(atPath: cacheDir, withIntermediateDirectories: true)
        } catch {
            throw FileError(cacheDir, "--cache-dir: cannot create the folder on this host")
        }
        guard FileManager.default.fileExists(atPath: path) else {
            return (true, "")
        }
        if let local = try? DecodedCache(path: path), local.checksum == checksum {
            return (false, "already holds the same cache (checksum matches); no transfer")
        }
        return (true, "held another or a damaged cache, replaced: ")
    }
}
