import Foundation

/// Rank 0's progress display: a redrawn bar (at most 4 redraws a second) or plain lines every tenth
/// of an epoch. `auto` draws the bar when stdout is a terminal. Under mpirun a rank's stdout is a
/// pseudo-terminal even when mpirun's own output goes to a file: pass `lines` there.
public struct Progress {
    public enum Style: String, CaseIterable, Sendable { case auto, bar, lines, off }
    let bar: Bool
    let enabled: Bool
    var lastPlain = -1
    var lastDraw = -Double.infinity
    /// Put before every line (ensemble members say which they are).
    let prefix: String

    public init(style: Style, prefix: String = "") {
        self.prefix = prefix
        enabled = style != .off
        bar = style == .bar || (style == .auto && isatty(STDOUT_FILENO) != 0)
    }

    public mutating func update(
        epoch: Int, epochs: Int, step: Int, steps: Int, loss: Double, accuracy: Double, imgPerSec: Double
    ) {
        guard enabled, steps > 0 else { return }
        let frac = Double(step) / Double(steps)
        func text() -> String {
            String(
                format: "epoch %d/%d %5d/%d loss %.4f acc %.2f%% %.0f img/s", epoch, epochs, step, steps, loss,
                100 * accuracy, imgPerSec)
        }
        if bar {
            let now = monotonicSeconds()
            guard step == steps || now - lastDraw >= 0.25 else { return }
            lastDraw = now
            let width = 30
            let done = Int(frac * Double(width))
            let b = String(repeating: "=", count: done) + String(repeating: " ", count: width - done)
            print("\r[\(b)] \(text())", terminator: step == steps ? "\n" : "")
            fflush(nil)
        } else {
            let decile = Int(frac * 10)
            if decile > lastPlain && decile < 10 {
                lastPlain = decile
                print(prefix + text())
                fflush(nil)
            }
            if step == steps { lastPlain = -1 }
        }
    }
}
