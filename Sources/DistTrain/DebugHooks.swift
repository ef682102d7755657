import DurableIO
import Foundation

/// Fault injection for the fault suite, from environment variables (each `RANK:STEP`, global step):
/// - `GTSRB_DEBUG_KILL_AT`: that rank SIGKILLs itself before that step;
/// - `GTSRB_DEBUG_NAN_AT`: that rank feeds a NaN image at that step;
/// - `GTSRB_DEBUG_FLIP_BIT`: that rank flips one bit of its parameters after that step;
/// - `GTSRB_DEBUG_SIGNAL_AT` (`RANK:STEP:SIGNAL`, SIGNAL a number): that rank sends itself the signal before that step;
/// - `GTSRB_DEBUG_SIGNAL_AGAIN=SIGNAL`: rank 0 sends itself that signal as it starts writing a mid-epoch checkpoint;
/// - `GTSRB_DEBUG_KILL_BEFORE_RENAME=SUFFIX` (in AtomicFile): die after writing a file ending in SUFFIX, before its
/// rename;
/// - `GTSRB_DEBUG_STEP_DELAY_MS=MS`: every rank sleeps MS milliseconds before each step (a run slow enough for a
/// signal from outside to land mid-run, whatever the CPU; the numbers are unchanged).
struct DebugHooks {
    let killAt: (Int, Int)?, nanAt: (Int, Int)?, flipAt: (Int, Int)?
    /// `GTSRB_DEBUG_SIGNAL_AT`: rank, step, signal.
    let signalAt: (rank: Int, step: Int, signal: Int32)?
    let signalDuringSave: Int32?
    /// `GTSRB_DEBUG_STEP_DELAY_MS` in microseconds (0: none).
    let stepDelayMicroseconds: UInt32

    init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        func pair(_ key: String) -> (Int, Int)? {
            guard let v = environment[key] else { return nil }
            let p = v.split(separator: ":").compactMap { Int($0) }
            return p.count == 2 ? (p[0], p[1]) : nil
        }
        killAt = pair("GTSRB_DEBUG_KILL_AT")
        nanAt = pair("GTSRB_DEBUG_NAN_AT")
        flipAt = pair("GTSRB_DEBUG_FLIP_BIT")
        let s = (environment["GTSRB_DEBUG_SIGNAL_AT"] ?? "").split(separator: ":").compactMap { Int($0) }
        signalAt = s.count == 3 ? (s[0], s[1], Int32(s[2])) : nil
        signalDuringSave = environment["GTSRB_DEBUG_SIGNAL_AGAIN"].flatMap { Int32($0) }
        stepDelayMicroseconds = environment["GTSRB_DEBUG_STEP_DELAY_MS"].flatMap { UInt32($0) }.map { $0 * 1000 } ?? 0
    }

    static func matches(_ p: (Int, Int)?, rank: Int, step: Int) -> Bool {
        p.map { $0.0 == rank && $0.1 == step } ?? false
    }
}
