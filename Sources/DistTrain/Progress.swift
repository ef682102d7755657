import Foundation

/// Rank 0's progress display: a redrawn bar on a terminal, plain periodic lines otherwise.
public struct Progress {
    public let enabled: Bool
    let tty = isatty(STDOUT_FILENO) != 0
    var lastPlain = -1

    public init(enabled: Bool) { self.enabled = enabled }

    public mutating func update(epoch: Int, epochs: Int, step: Int, steps: Int, loss: Double, accuracy: Double, imgPerSec: Double) {
        guard enabled, steps > 0 else { return }
        let frac = Double(step) / Double(steps)
        let text = String(format: "epoch %d/%d %5d/%d loss %.4f acc %.2f%% %.0f img/s", epoch, epochs, step, steps, loss, 100 * accuracy, imgPerSec)
        if tty {
            let width = 30, done = Int(frac * Double(width))
            let bar = String(repeating: "=", count: done) + String(repeating: " ", count: width - done)
            print("\r[\(bar)] \(text)", terminator: step == steps ? "\n" : "")
            fflush(nil)
        } else {
            let decile = Int(frac * 10)
            if decile > lastPlain && decile < 10 { lastPlain = decile; print(text); fflush(nil) }
            if step == steps { lastPlain = -1 }
        }
    }
}
