import XCTest

@testable import GTSRBData

final class LayoutTests: XCTestCase {
    func error(_ body: () throws -> Void) -> String {
        do {
            try body()
            return "no error"
        } catch { return "\(error)" }
    }

    func testOfficialTrainingAndLabelledTest() throws {
        let root = Fixtures.tempDir("official")
        Fixtures.officialTraining(root)
        Fixtures.officialTest(root, labelled: true)
        let l = try GTSRBLayout(root: root)
        XCTAssertEqual(l.train?.count, 3 * 3 * 2)
        XCTAssertEqual(Set(l.train!.map(\.label)), [0, 1, 2])
        XCTAssertEqual(l.train![3].track, 1, "track from the TTTTT prefix")
        XCTAssertEqual(l.test?.count, 5)
        XCTAssertEqual(l.test!.map(\.label), [0, 1, 2, 0, 1])
        XCTAssertEqual(l.test![0].filename, "00000.ppm")
    }

    func testUnlabelledTestIsPredictOnly() throws {
        let root = Fixtures.tempDir("unlabelled")
        Fixtures.officialTest(root, labelled: false)
        let l = try GTSRBLayout(root: root)
        XCTAssertNil(l.train)
        XCTAssertTrue(l.test!.allSatisfy { $0.label == -1 })
    }

    func testRearrangedTestFolders() throws {
        let root = Fixtures.tempDir("rearranged")
        for c in [0, 7] {
            Fixtures.write(PPMReader.encode(Fixtures.image(5, 5, seed: c)), "\(root)/Final_Test/Images/\(c)/a.ppm")
        }
        let l = try GTSRBLayout(root: root)
        XCTAssertEqual(l.test!.map(\.label).sorted(), [0, 7])
    }

    func testPNGLayout() throws {
        let root = Fixtures.tempDir("pnglayout")
        var train = "Width,Height,Roi.X1,Roi.Y1,Roi.X2,Roi.Y2,ClassId,Path\n"
        for c in 0..<2 {
            for t in 0..<2 {
                let p = "Train/\(c)/000\(c)_0000\(t)_00000.png"
                try FileManager.default.createDirectory(atPath: "\(root)/Train/\(c)", withIntermediateDirectories: true)
                try PNGCodec.write(Fixtures.image(6, 7, seed: c + t), path: "\(root)/\(p)")
                train += "6,7,1,1,4,5,\(c),\(p)\n"
            }
        }
        Fixtures.write(Array(train.utf8), "\(root)/Train.csv")
        try FileManager.default.createDirectory(atPath: "\(root)/Test", withIntermediateDirectories: true)
        try PNGCodec.write(Fixtures.image(6, 7, seed: 9), path: "\(root)/Test/00000.png")
        Fixtures.write(
            Array("Width,Height,Roi.X1,Roi.Y1,Roi.X2,Roi.Y2,ClassId,Path\n6,7,1,1,4,5,1,Test/00000.png\n".utf8),
            "\(root)/Test.csv")
        let l = try GTSRBLayout(root: root)
        XCTAssertEqual(l.train?.count, 4)
        XCTAssertEqual(l.train![1].track, 1)
        XCTAssertEqual(l.test?.first?.label, 1)
        let img = try DecodedCache.decode(l.train![0], crop: .roi)
        XCTAssertEqual(img.width, 4)
        XCTAssertEqual(img.height, 5)
    }

    func testROICropIsScaledToTheFilesRealSize() throws {
        // CSV says 40×40 with ROI 4…35; the file is 20×20, so the crop is 2…17 (16 px).
        let root = Fixtures.tempDir("roi")
        Fixtures.officialTraining(root, classes: 1, tracks: 1, frames: 1)
        let r = try GTSRBLayout(root: root).train![0]
        XCTAssertEqual(try DecodedCache.decode(r, crop: .whole).width, 20)
        let c = try DecodedCache.decode(r, crop: .roi)
        XCTAssertEqual(c.width, 16)
        XCTAssertEqual(c.height, 16)
    }

    func testBadLayoutsNameTheFileAndLine() throws {
        XCTAssertTrue(error { _ = try GTSRBLayout(root: "/nonexistent/gtsrb") }.contains("does not exist"))
        let root = Fixtures.tempDir("bad")
        Fixtures.officialTraining(root, classes: 2, tracks: 1, frames: 2)
        let csv = "\(root)/GTSRB/Final_Training/Images/00001/GT-00001.csv"
        let good = try String(contentsOfFile: csv, encoding: .utf8)
        Fixtures.write(Array(good.replacingOccurrences(of: "ClassId", with: "Class").utf8), csv)
        XCTAssertTrue(error { _ = try GTSRBLayout(root: root) }.contains("GT-00001.csv:1: missing column ClassId"))
        Fixtures.write(Array(good.replacingOccurrences(of: ";1\r\n00000_00001", with: ";99\r\n00000_00001").utf8), csv)
        XCTAssertTrue(error { _ = try GTSRBLayout(root: root) }.contains("GT-00001.csv:2: ClassId 99 is outside 0…42"))
        Fixtures.write(Array((good + "missing.ppm;40;40;1;1;30;30;1\n").utf8), csv)
        XCTAssertTrue(error { _ = try GTSRBLayout(root: root) }.contains("names missing.ppm, which does not exist"))
        Fixtures.write(Array("Filename;Width;Height;Roi.X1;Roi.Y1;Roi.X2;Roi.Y2;ClassId\n".utf8), csv)
        XCTAssertTrue(error { _ = try GTSRBLayout(root: root) }.contains("empty class"))
        try FileManager.default.removeItem(atPath: csv)
        XCTAssertTrue(error { _ = try GTSRBLayout(root: root) }.contains("has no GT-00001.csv"))
    }

    func testCSVSeparatorsAndCRLF() throws {
        let t = try CSVTable(text: "A,B\r\n1,2\r\n\r\n3,4\r\n", path: "t.csv")
        XCTAssertEqual(t.rows.count, 2)
        XCTAssertEqual(try t.int(t.rows[1], try t.column("b")), 4)
        XCTAssertThrowsError(try CSVTable(text: "A;B\n1\n", path: "t.csv"))
    }
}
