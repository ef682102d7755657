import DurableIO
import Foundation

extension Communicator {
    /// The bytes of `path`, a `what` ("checkpoint"), as rank 0 reads them, on every rank: files every rank needs
    /// (checkpoints, weights, manifests) live on rank 0's host only. Rank 0's error is every rank's.
    public func readOnRoot(_ path: String, _ what: String) throws -> Data {
        var data = Data()
        try rootOnly {
            data = try RunFiles.read(path, what)
        }
        broadcast(&data)
        return data
    }

    /// Copies the file `path` (a `what`) from rank `sender` to the same path on every rank whose `receive` is true,
    /// written atomically in a folder created as needed: for files that live on one host and are needed on
    /// another. Only the ranks taking part exchange the bytes; any rank's error is every rank's. Returns the bytes
    /// copied (0 where this rank took no part).
    @discardableResult
    public func copyFile(_ path: String, _ what: String, from sender: Int, receive: Bool) throws -> Int {
        var count = 0
        try collectively {
            let key = rank == sender ? 0 : rank + 1
            guard let group = split(color: rank == sender || receive ? 0 : nil, key: key), group.size > 1 else {
                return
            }
            let data = try group.readOnRoot(path, what)
            if rank != sender {
                let folder = (path as NSString).deletingLastPathComponent
                do {
                    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                } catch {
                    throw FileError(folder, "cannot create the folder for \(what)")
                }
                try AtomicFile.write(data, to: path)
            }
            count = data.count
        }
        return count
    }
}
