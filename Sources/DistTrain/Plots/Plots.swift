import DurableIO
import Foundation
import GTSRBData
import TorchNN

/// The pictures rank 0 writes at the end of training (and `gtsrb-dist plot` redraws): learning curves,
/// the confusion matrix as a heatmap, and a grid of misclassified images.
public enum Plots {
    /// Loss (left) and accuracy (right) per epoch from the epoch records of a metrics file.
    public static func learningCurves(_ records: [MetricRecord]) -> RGBImage {
        var c = Canvas(width: 1000, height: 420)
        let epochRecords = records.filter { $0.epoch != nil }
        let epochs = epochRecords.map { Double($0.epoch ?? 0) }
        func series(_ value: (MetricRecord) -> Double?) -> [Double] { epochRecords.map { value($0) ?? .nan } }
        panel(
            &c, x: 0, title: "LOSS", epochs: epochs,
            series: [("TRAIN", series(\.trainLoss), (31, 119, 180)), ("VAL", series(\.valLoss), (214, 39, 40))])
        panel(
            &c, x: 500, title: "ACCURACY %", epochs: epochs,
            series: [("TRAIN", series(\.trainAcc), (31, 119, 180)), ("VAL", series(\.valAcc), (214, 39, 40))])
        return c.image
    }

    static func panel(
        _ c: inout Canvas, x: Int, title: String, epochs: [Double], series: [(String, [Double], Canvas.Color)]
    ) {
        let left = x + 80
        let top = 40
        let w = 390
        let h = 300
        c.text(title, x: left + w / 2 - Canvas.textWidth(title) / 2, y: 10)
        let values = series.flatMap { $0.1 }.filter { $0.isFinite }
        guard let lo0 = values.min(), let hi0 = values.max(), let e0 = epochs.min(), let e1 = epochs.max() else {
            return
        }
        let lo = lo0 - 0.05 * max(hi0 - lo0, 1e-6)
        let hi = hi0 + 0.05 * max(hi0 - lo0, 1e-6)
        let eSpan = max(e1 - e0, 1)
        func px(_ e: Double) -> Int { left + Int((e - e0) / eSpan * Double(w)) }
        func py(_ v: Double) -> Int { top + h - Int((v - lo) / (hi - lo) * Double(h)) }
        for k in 0...4 {  // y ticks and grid
            let v = lo + (hi - lo) * Double(k) / 4
            let yy = py(v)
            c.line(left, yy, left + w, yy, Canvas.grey)
            let label = String(format: hi - lo < 1 ? "%.3f" : (hi - lo < 20 ? "%.2f" : "%.1f"), v)
            c.text(label, x: left - 8 - Canvas.textWidth(label), y: yy - 7)
        }
        let ticks = Set(
            stride(from: 0, through: epochs.count - 1, by: max(1, epochs.count / 8)).map { epochs[$0] } + [e1])
        // Right to left, so the last epoch is always labelled; a label that would touch its right neighbour is left
        // out.
        var freeRight = Int.max
        for e in ticks.sorted().reversed() {
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
            for (e, v) in zip(epochs, ys) where v.isFinite {
                let p = (px(e), py(v))
                if let q = prev {
                    c.line(q.0, q.1, p.0, p.1, color, thickness: 3)
                } else {
                    c.fill(x: p.0 - 2, y: p.1 - 2, w: 5, h: 5, color)
                }
                prev = p
            }
            c.fill(x: left + w - 190 + 110 * k, y: top + h + 38, w: 20, h: 4, color)
            c.text(name, x: left + w - 164 + 110 * k, y: top + h + 32)
        }
    }

    /// The confusion matrix as a heatmap: rows true class, columns predicted, colour by row fraction.
    public static func confusion(_ m: ConfusionMatrix) -> RGBImage {
        let n = m.nClasses
        let cell = 16
        let margin = 60
        var c = Canvas(width: margin + n * cell + 20, height: margin + n * cell + 40)
        c.text("PREDICTED", x: margin + n * cell / 2 - Canvas.textWidth("PREDICTED") / 2, y: 4)
        for i in 0..<n {
            let total = max(1, m.mat[i].reduce(0, +))
            for j in 0..<n {
                let f = Double(m.mat[i][j]) / Double(total)
                let shade = UInt8(255 - min(255, Int((f > 0 ? 0.15 + 0.85 * f : 0) * 255)))
                let color: Canvas.Color = i == j ? (shade, shade, 255) : (255, shade, shade)
                c.fill(x: margin + j * cell, y: margin + i * cell, w: cell - 1, h: cell - 1, color)
            }
            if i % 2 == 0 {
                c.text(
                    String(i), x: margin - 6 - Canvas.textWidth(String(i), scale: 1), y: margin + i * cell + 4, scale: 1
                )
                c.text(String(i), x: margin + i * cell + 2, y: margin - 12, scale: 1)
            }
        }
        c.text("TRUE CLASS (ROWS)", x: 4, y: margin + n * cell + 12)
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

    /// Up to `max` misclassified images (scaled ×2) with "T true P predicted" under each.
    public static func mistakes(_ items: [(image: RGBImage, truth: Int, predicted: Int)], columns: Int = 8) -> RGBImage
    {
        let tile = 96
        let label = 22
        let cols = max(1, min(columns, items.count))
        let rows = max(1, (items.count + cols - 1) / cols)
        var c = Canvas(width: cols * (tile + 8) + 8, height: rows * (tile + label + 8) + 8)
        if items.isEmpty { c.text("NO MISTAKES", x: 8, y: 8) }
        for (k, it) in items.enumerated() {
            let x0 = 8 + (k % cols) * (tile + 8)
            let y0 = 8 + (k / cols) * (tile + label + 8)
            for y in 0..<tile {
                for x in 0..<tile {
                    let sx = x * it.image.width / tile
                    let sy = y * it.image.height / tile
                    let i = (sy * it.image.width + sx) * 3
                    c.set(x0 + x, y0 + y, (it.image.pixels[i], it.image.pixels[i + 1], it.image.pixels[i + 2]))
                }
            }
            c.text("T\(it.truth) P\(it.predicted)", x: x0, y: y0 + tile + 4, scale: 2, (180, 0, 0))
        }
        return c.image
    }
}
