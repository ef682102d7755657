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

    /// Every rank runs `body`; if any rank fails, all ranks throw (the failing rank's message where it is rank 0's).
    public func collectively<T>(_ body: () throws -> T) throws -> T {
        var result: T? = nil
        var message = ""
        do { result = try body() } catch { message = "\(error)" }
        let failed = allreduceMax(message.isEmpty ? 0 : 1) > 0
        var text = Array(message.utf8)
        broadcast(&text)
        if failed {
            throw TrainError(
                message.isEmpty
                    ? (text.isEmpty ? "another rank failed" : String(decoding: text, as: UTF8.self)) : message,
                collective: true)
        }
        return result!
    }
}
