import DurableIO
import Foundation

/// A GTSRB annotation CSV: a header row of column names, `;` or `,` separated, LF or CRLF lines.
/// Columns are looked up by header name.
public struct CSVTable {
    public let path: String
    public let header: [String]
    /// Data rows with their 1-based line numbers in the file.
    public let rows: [(line: Int, fields: [String])]

    public init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FileError(path, "cannot read CSV file")
        }
        guard let text = String(data: data, encoding: .utf8) ?? String(data: data, encoding: .isoLatin1) else {
            throw FileError(path, "CSV is not text")
        }
        try self.init(text: text, path: path)
    }

    public init(text: String, path: String) throws {
        self.path = path
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
            .map { $0.hasSuffix("\r") ? String($0.dropLast()) : String($0) }
        guard let first = lines.first, !first.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw FileError(path, line: 1, "empty CSV (no header row)")
        }
        let sep: Character = first.contains(";") ? ";" : ","
        header = first.split(separator: sep, omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        var rows: [(Int, [String])] = []
        for (i, l) in lines.enumerated().dropFirst() where !l.trimmingCharacters(in: .whitespaces).isEmpty {
            let f = l.split(separator: sep, omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            guard f.count >= header.count else {
                throw FileError(path, line: i + 1, "\(f.count) fields, the header has \(header.count)")
            }
            rows.append((i + 1, f))
        }
        self.rows = rows
    }

    /// The index of column `name`, or an error naming the file and the missing column.
    public func column(_ name: String) throws -> Int {
        guard let i = header.firstIndex(where: { $0.caseInsensitiveCompare(name) == .orderedSame }) else {
            throw FileError(path, line: 1, "missing column \(name) (header: \(header.joined(separator: ";")))")
        }
        return i
    }
    public func optionalColumn(_ name: String) -> Int? { try? column(name) }

    /// An integer field, or an error naming the line and column.
    public func int(_ row: (line: Int, fields: [String]), _ col: Int) throws -> Int {
        guard let v = Int(row.fields[col]) else {
            throw FileError(path, line: row.line, "\(header[col]) '\(row.fields[col])' is not an integer")
        }
        return v
    }
}
