/// A problem with the run's configuration, files or numerics; printed as `error: …` and every rank exits non-zero.
public struct TrainError: Error, CustomStringConvertible {
    public let message: String
    /// Every rank raised this same error at the same point (a bad flag, an outcome shared by `rootOnly`),
    /// so the ranks can finalize and exit together instead of aborting the job.
    public let collective: Bool
    public init(_ message: String, collective: Bool = false) {
        self.message = message
        self.collective = collective
    }
    public var description: String { message }
}
