import Foundation

extension Communicator {
    /// The bytes of `path`, a `what` ("checkpoint"), as rank 0 reads them, on every rank: files every rank needs
    /// (checkpoints, weights, manifests) live on rank 0's host only. Rank 0's error is every rank's.
    public func readOnRoot(_ path: String, _ what: String) throws -> Data {
        var data = Data()
        try rootOnly {
            data = try TrainedModel.readFile(path, what)
        }
        broadcast(&data)
        return data
    }
}
