import Foundation

/// SIGTERM, SIGINT and SIGUSR1, as schedulers send them before they end a job (Slurm's SIGTERM, or `--signal`'s
/// SIGUSR1 ahead of the time limit; mpirun forwards them to the ranks): a handler only records the signal, and the
/// training loop looks at it between steps (`pending`), agrees on it with the other ranks in the step's own
/// reduction, checkpoints and exits with `exitStatus`. A second signal changes nothing, so the checkpoint being
/// written is finished (and written atomically in any case).
public enum StopSignals {
    /// The signals handled, in the order that decides the exit status when several arrive.
    public static let handled: [Int32] = [SIGTERM, SIGINT, SIGUSR1]

    /// The last signal received (0: none); written by the handler only.
    nonisolated(unsafe) static let received: UnsafeMutablePointer<Int32> = {
        let p = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
        p.initialize(to: 0)
        return p
    }()

    /// Installs the handlers (training only: elsewhere the signals keep ending the process at once).
    public static func install() {
        _ = received
        for s in handled {
            signal(s) { StopSignals.received.pointee = $0 }
        }
    }

    /// The signal received since `install`, 0 when none.
    public static var pending: Int32 { received.pointee }

    /// The shell's status for a process ended by signal `s` (143 for SIGTERM, 130 for SIGINT, 138 for SIGUSR1).
    public static func exitStatus(_ s: Int32) -> Int32 { 128 + s }

    /// "SIGTERM", for messages.
    public static func name(_ s: Int32) -> String {
        switch s {
        case SIGTERM: return "SIGTERM"
        case SIGINT: return "SIGINT"
        case SIGUSR1: return "SIGUSR1"
        default: return "signal \(s)"
        }
    }
}

/// Thrown by the training loop after it checkpointed on a signal: every rank ends with `status`.
public struct StoppedBySignal: Error, CustomStringConvertible {
    public let signal: Int32
    public var status: Int32 { StopSignals.exitStatus(signal) }
    public var description: String { "stopped by \(StopSignals.name(signal))" }
}
