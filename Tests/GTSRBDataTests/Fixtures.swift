import Foundation
import TestSupport
import XCTest

@testable import GTSRBData

/// Small GTSRB folders written by the tests themselves (no committed image blobs).
enum Fixtures {
    static func tempDir(_ name: String) -> String {
        TestScratch.folder(name)
    }

    static func image(_ w: Int, _ h: Int, seed: Int) -> RGBImage {
        RGBImage(
            width: w, height: h, pixels: (0..<(w * h * 3)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ seed &* 17) })
    }

    static func write(_ bytes: [UInt8], _ path: String) {
        try! FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
    }

    /// Official training layout: `classes` classes × `tracks` tracks × `frames` frames of w×h PPM.
    static func officialTraining(_ root: String, classes: Int = 3, tracks: Int = 3, frames: Int = 2, size: Int = 20) {
        for c in 0..<classes {
            let dir = "\(root)/GTSRB/Final_Training/Images/" + String(format: "%05d", c)
            var csv = "Filename;Width;Height;Roi.X1;Roi.Y1;Roi.X2;Roi.Y2;ClassId\r\n"
            for t in 0..<tracks {
                for f in 0..<frames {
                    let name = String(format: "%05d_%05d.ppm", t, f)
                    write(PPMReader.encode(image(size, size, seed: c * 100 + t * 10 + f)), "\(dir)/\(name)")
                    csv += "\(name);\(size * 2);\(size * 2);4;4;\(size * 2 - 5);\(size * 2 - 5);\(c)\r\n"
                }
            }
            write(Array(csv.utf8), "\(dir)/GT-" + String(format: "%05d", c) + ".csv")
        }
    }

    /// Official test layout with `GT-final_test.csv` (labelled) or only `GT-final_test.test.csv`.
    static func officialTest(_ root: String, count: Int = 5, labelled: Bool = true) {
        let dir = "\(root)/GTSRB/Final_Test/Images"
        var csv =
            labelled
            ? "Filename;Width;Height;Roi.X1;Roi.Y1;Roi.X2;Roi.Y2;ClassId\n"
            : "Filename;Width;Height;Roi.X1;Roi.Y1;Roi.X2;Roi.Y2\n"
        for i in 0..<count {
            let name = String(format: "%05d.ppm", i)
            write(PPMReader.encode(image(16, 18, seed: i)), "\(dir)/\(name)")
            csv += "\(name);16;18;1;1;14;16" + (labelled ? ";\(i % 3)" : "") + "\n"
        }
        write(
            Array(csv.utf8), labelled ? "\(root)/GTSRB/Final_Test/GT-final_test.csv" : "\(dir)/GT-final_test.test.csv")
    }
}
