/// A problem with a file that a user can fix: names the file (and the CSV line) and what is wrong.
public struct FileError: Error, CustomStringConvertible, Equatable {
    public let path: String
    public let line: Int?
    public let reason: String

    public init(_ path: String, line: Int? = nil, _ reason: String) {
        self.path = path
        self.line = line
        self.reason = reason
    }

    public var description: String { "\(path)\(line.map { ":\($0)" } ?? ""): \(reason)" }
}
