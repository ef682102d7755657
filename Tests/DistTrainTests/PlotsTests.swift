import GTSRBData
import XCTest

@testable import DistTrain

final class PlotsTests: XCTestCase {
    func testLogAxisTicksAreOneTwoFive() {
        XCTAssertEqual(Plots.logTicks(0.3, 60), [0.5, 1, 2, 5, 10, 20, 50])
        XCTAssertEqual(Plots.logTicks(0.01, 0.02), [0.01, 0.02])
    }

    /// Every class has a name the bitmap font can draw, short enough for a mistakes tile.
    func testClassNamesFitThePictures() {
        XCTAssertEqual(GTSRBClassNames.short.count, GTSRBLayout.classes)
        for name in GTSRBClassNames.short {
            XCTAssertLessThanOrEqual(name.count, 16, name)
            XCTAssertTrue(name.allSatisfy { BitmapFont.glyphs[$0] != nil }, "\(name) has a character the font lacks")
        }
        XCTAssertEqual(GTSRBClassNames.label(14), "14 STOP")
        XCTAssertEqual(GTSRBClassNames.label(99), "99")
    }

    /// The error panel draws the test curve when a test split was scored, and a perfect epoch at the floor.
    func testCurvesDrawTheTestSeriesWhenScored() {
        func record(_ epoch: Int, test: Double?) -> MetricRecord {
            var r = MetricRecord(step: epoch, lr: 0.01, trainLoss: 1 / Double(epoch), trainAcc: 100, imgS: 1)
            r.epoch = epoch
            r.valLoss = 0.1
            r.valAcc = 98 + Double(epoch) / 10
            r.testAcc = test
            return r
        }
        let green = { (image: RGBImage) in
            stride(from: 0, to: image.pixels.count, by: 3).filter {
                image.pixels[$0] == 44 && image.pixels[$0 + 1] == 160 && image.pixels[$0 + 2] == 44
            }.count
        }
        XCTAssertGreaterThan(green(Plots.learningCurves((1...5).map { record($0, test: 99) })), 100)
        XCTAssertEqual(green(Plots.learningCurves((1...5).map { record($0, test: nil) })), 0)
    }
}
