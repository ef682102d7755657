import Foundation

extension Communicator {
    /// Runs `body` on rank 0 only and shares its outcome: if it throws, every rank throws the same
    /// error, so a problem only rank 0 sees (a bad file, an unwritable folder) never leaves others hanging.
    public func rootOnly(_ body: () throws -> Void) throws {
        var message: [UInt8] = []
        if isRoot {
            do { try body() } catch {
                message = Array(("\(error)").utf8)
                if message.isEmpty { message = Array("error".utf8) }
            }
        }
        broadcast(&message)
        if !message.isEmpty { throw TrainError(String(decoding: message, as: UTF8.self), collective: true) }
    }

    /// Every rank runs `body`; if any rank fails, all ranks throw one error that gives each failing rank's
    /// own message, prefixed with its rank and host where it is not rank 0's ("rank 2 on node7: …"), so a
    /// problem on another host reaches the user (rank 0 prints it).
    public func collectively<T>(_ body: () throws -> T) throws -> T {
        var result: T? = nil
        var message = ""
        do { result = try body() } catch {
            message = "\(error)"
            if message.isEmpty { message = "error" }
        }
        // Rank 0 sees every message; the text it broadcasts is empty when none failed.
        let messages = gather(message)
        var text = ""
        if isRoot && messages.contains(where: { !$0.isEmpty }) {
            text = Communicator.describeFailures(messages, describe: describe)
        }
        broadcast(&text)
        guard !text.isEmpty else {
            return result!
        }
        throw TrainError(text, collective: true)
    }

    /// One text for the ranks' failure messages (empty: that rank succeeded): the message alone when every rank
    /// failed alike, else one line per failing rank, at most four, named by `describe` except rank 0.
    static func describeFailures(_ messages: [String], describe: (Int) -> String) -> String {
        let failing = messages.indices.filter { !messages[$0].isEmpty }
        if failing.count == messages.count && Set(messages).count == 1 {
            return messages[0]
        }
        var lines = failing.prefix(4).map { r in r == 0 ? messages[r] : "\(describe(r)): \(messages[r])" }
        if failing.count > 4 {
            lines.append("(and \(failing.count - 4) more ranks failed)")
        }
        return lines.joined(separator: "\n")
    }
}
