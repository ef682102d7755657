import DurableIO
import Foundation
import GTSRBData
import TorchNN

/// The pictures rank 0 writes at the end of training (and `gtsrb-dist plot` redraws): learning curves,
/// the confusion matrix as a heatmap, and a grid of misclassified images.
public enum Plots {
    /// Loss (left) and error rate (right) per epoch from the epoch records of a metrics file, both on log axes so
    /// that 1 % and 0.5 % error are as far apart as 10 % and 5 %: training, validation, and test when scored.
    public static func learningCurves(_ records: [MetricRecord]) -> RGBImage {
        var c = Canvas(width: 1000, height: 420)
        let epochRecords = records.filter { $0.epoch != nil }
        let epochs = epochRecords.map { Double($0.epoch ?? 0) }
        func series(_ value: (MetricRecord) -> Double?) -> [Double] { epochRecords.map { value($0) ?? .nan } }
        /// Error in percent from an accuracy; a perfect epoch is drawn at the floor of the axis.
        func error(_ accuracy: Double?) -> Double? { accuracy.map { max(100 - $0, errorFloor) } }
        let train: Canvas.Color = (31, 119, 180)
        let validation: Canvas.Color = (214, 39, 40)
        let test: Canvas.Color = (44, 160, 44)
        panel(
            &c, x: 0, title: "LOSS (LOG SCALE)", epochs: epochs,
            series: [("TRAIN", series(\.trainLoss), train), ("VAL", series(\.valLoss), validation)])
        var errors = [
            ("TRAIN", series { error($0.trainAcc) }, train), ("VAL", series { error($0.valAcc) }, validation),
        ]
        if epochRecords.contains(where: { $0.testAcc != nil }) {
            errors.append(("TEST", series { error($0.testAcc) }, test))
        }
        panel(&c, x: 500, title: "ERROR % (LOG SCALE)", epochs: epochs, series: errors)
        return c.image
    }

    /// The lowest error rate drawn (percent): no error at all is drawn there.
    static let errorFloor = 0.01

    /// The 1-2-5 values from `lo` to `hi` (both positive), the ticks of a log axis.
    static func logTicks(_ lo: Double, _ hi: Double) -> [Double] {
        var ticks: [Double] = []
        var decade = pow(10, floor(log10(lo)))
        while decade <= hi {
            for m in [1.0, 2.0, 5.0] where m * decade >= lo && m * decade <= hi {
                ticks.append(m * decade)
            }
            decade *= 10
        }
        return ticks
    }

    /// One panel: `series` against `epochs` on a log y axis, with a legend under it.
    static func panel(
        _ c: inout Canvas, x: Int, title: String, epochs: [Double], series: [(String, [Double], Canvas.Color)]
    ) {
        let left = x + 80
        let top = 40
        let w = 390
        let h = 300
        c.text(title, x: left + w / 2 - Canvas.textWidth(title) / 2, y: 10)
        let values = series.flatMap { $0.1 }.filter { $0.isFinite && $0 > 0 }
        guard let lo0 = values.min(), let hi0 = values.max(), let e0 = epochs.min(), let e1 = epochs.max() else {
            return
        }
        // A tenth of a decade of room above and below; at least half a decade in all.
        let span = max(log10(hi0) - log10(lo0), 0.5)
        let lo = log10(lo0) - 0.1 * span
        let hi = log10(lo0) + 1.1 * span
        let eSpan = max(e1 - e0, 1)
        func px(_ e: Double) -> Int { left + Int((e - e0) / eSpan * Double(w)) }
        func py(_ v: Double) -> Int { top + h - Int((log10(v) - lo) / (hi - lo) * Double(h)) }
        var ticks = logTicks(pow(10, lo), pow(10, hi))
        if ticks.count > 9 {
            ticks = ticks.filter { abs(log10($0) - log10($0).rounded()) < 1e-9 }
        }
        for v in ticks {
            let yy = py(v)
            c.line(left, yy, left + w, yy, Canvas.grey)
            let label = v >= 1 ? String(format: "%.0f", v) : String(format: "%g", v)
            c.text(label, x: left - 8 - Canvas.textWidth(label), y: yy - 7)
        }
        let epochTicks = Set(
            stride(from: 0, through: epochs.count - 1, by: max(1, epochs.count / 8)).map { epochs[$0] } + [e1])
        // Right to left, so the last epoch is always labelled; a label that would touch its right neighbour is
        // left out.
        var freeRight = Int.max
        for e in epochTicks.sorted().reversed() {
            c.line(px(e), top + h, px(e), top + h + 5, Canvas.black)
            let label = String(Int(e))
            let x = px(e) - Canvas.textWidth(label) / 2
            if x + Canvas.textWidth(label) + 6 <= freeRight {
                c.text(label, x: x, y: top + h + 10)
                freeRight = x
            }
        }
        c.text("EPOCH", x: left, y: top + h + 32)
        c.line(left, top, left, top + h, Canvas.black)
        c.line(left, top + h, left + w, top + h, Canvas.black)
        for (k, (name, ys, color)) in series.enumerated() {
            var prev: (Int, Int)? = nil
            for (e, v) in zip(epochs, ys) where v.isFinite && v > 0 {
                let p = (px(e), py(v))
                if let q = prev {
                    c.line(q.0, q.1, p.0, p.1, color, thickness: 3)
                } else {
                    c.fill(x: p.0 - 2, y: p.1 - 2, w: 5, h: 5, color)
                }
                prev = p
            }
            c.fill(x: left + w - 290 + 100 * k, y: top + h + 38, w: 20, h: 4, color)
            c.text(name, x: left + w - 264 + 100 * k, y: top + h + 32)
        }
    }

    /// The confusion matrix as a heatmap: rows true class (id and name), columns predicted (id), colour by the
    /// row's fraction; the diagonal blue, errors red.
    public static func confusion(_ m: ConfusionMatrix) -> RGBImage {
        let n = m.nClasses
        let cell = 16
        let left = 130
        let top = 60
        var c = Canvas(width: left + n * cell + 20, height: top + n * cell + 40)
        c.text("PREDICTED", x: left + n * cell / 2 - Canvas.textWidth("PREDICTED") / 2, y: 4)
        for i in 0..<n {
            let total = max(1, m.mat[i].reduce(0, +))
            for j in 0..<n {
                let f = Double(m.mat[i][j]) / Double(total)
                let shade = UInt8(255 - min(255, Int((f > 0 ? 0.15 + 0.85 * f : 0) * 255)))
                let color: Canvas.Color = i == j ? (shade, shade, 255) : (255, shade, shade)
                c.fill(x: left + j * cell, y: top + i * cell, w: cell - 1, h: cell - 1, color)
            }
            let name = n == GTSRBClassNames.short.count ? GTSRBClassNames.label(i) : String(i)
            c.text(name, x: left - 6 - Canvas.textWidth(name, scale: 1), y: top + i * cell + 4, scale: 1)
            if i % 2 == 0 {
                c.text(String(i), x: left + i * cell + 2, y: top - 12, scale: 1)
            }
        }
        c.text("TRUE CLASS (ROWS)", x: 4, y: top + n * cell + 12)
        return c.image
    }

    /// Writes curves.png (from the metrics file), confusion.png and mistakes.png into `dir`.
    public static func writeAll(
        metrics: String, confusion cm: ConfusionMatrix, result: Evaluator.Result,
        cache: DecodedCache, to dir: String
    ) throws {
        do {
            try PNGCodec.write(
                learningCurves(try MetricRecord.read(metrics)),
                path: (dir as NSString).appendingPathComponent("curves.png"))
        } catch let e as FileError { throw TrainError("cannot write plots: \(e)") }
        try writeEvaluation(confusion: cm, result: result, cache: cache, to: dir)
    }

    /// Writes confusion.png and mistakes.png (the first 32 misclassified images) into `dir`.
    public static func writeEvaluation(
        confusion cm: ConfusionMatrix, result: Evaluator.Result, cache: DecodedCache, to dir: String
    ) throws {
        var wrong: [(image: RGBImage, truth: Int, predicted: Int)] = []
        for (j, i) in result.indices.enumerated() where cache.labels[i] >= 0 && wrong.count < 32 {
            let p = result.prediction(j).cls
            if p != cache.labels[i] { wrong.append((cache.image(i), cache.labels[i], p)) }
        }
        do {
            try PNGCodec.write(confusion(cm), path: (dir as NSString).appendingPathComponent("confusion.png"))
            try PNGCodec.write(mistakes(wrong), path: (dir as NSString).appendingPathComponent("mistakes.png"))
        } catch let e as FileError { throw TrainError("cannot write plots: \(e)") }
    }

    /// Misclassified images (scaled to 96×96), each with its true class ("T") and the prediction ("P"), by
    /// id and name.
    public static func mistakes(_ items: [(image: RGBImage, truth: Int, predicted: Int)], columns: Int = 8) -> RGBImage
    {
        let tile = 96
        let width = 112
        let label = 24
        let cols = max(1, min(columns, items.count))
        let rows = max(1, (items.count + cols - 1) / cols)
        var c = Canvas(width: cols * (width + 8) + 8, height: rows * (tile + label + 8) + 8)
        if items.isEmpty { c.text("NO MISTAKES", x: 8, y: 8) }
        for (k, it) in items.enumerated() {
            let x0 = 8 + (k % cols) * (width + 8)
            let y0 = 8 + (k / cols) * (tile + label + 8)
            for y in 0..<tile {
                for x in 0..<tile {
                    let sx = x * it.image.width / tile
                    let sy = y * it.image.height / tile
                    let i = (sy * it.image.width + sx) * 3
                    c.set(x0 + x, y0 + y, (it.image.pixels[i], it.image.pixels[i + 1], it.image.pixels[i + 2]))
                }
            }
            c.text("T " + GTSRBClassNames.label(it.truth), x: x0, y: y0 + tile + 4, scale: 1, (0, 100, 0))
            c.text("P " + GTSRBClassNames.label(it.predicted), x: x0, y: y0 + tile + 14, scale: 1, (180, 0, 0))
        }
        return c.image
    }
}
