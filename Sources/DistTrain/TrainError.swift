/// A problem with the run's configuration, files or numerics; printed as `error: …` and every rank exits non-zero.
public struct TrainError: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
