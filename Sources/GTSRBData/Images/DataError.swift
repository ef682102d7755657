/// A data problem a user can fix: names the file (and CSV line) and what is wrong.
public struct DataError: Error, CustomStringConvertible, Equatable {
    public let path: String
    public let line: Int?
    public let reason: String

    public init(_ path: String, line: Int? = nil, _ reason: String) { self.path = path; self.line = line; self.reason = reason }
    public var description: String { "\(path)\(line.map { ":\($0)" } ?? ""): \(reason)" }
}
