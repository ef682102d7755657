import DurableIO
import Foundation

/// Finds GTSRB splits under a data folder, in any of the layouts users have:
/// - official training: `Final_Training/Images/000NN/*.ppm` + `GT-000NN.csv`;
/// - official test: `Final_Test/Images/*.ppm` + `GT-final_test.csv` (labelled) or only
///   `GT-final_test.test.csv` (unlabelled: predict only);
/// - the seed repository's rearranged test folders `Final_Test/Images/<class>/…`;
/// - the common PNG layout: `Train/<class>/*.png` + `Train.csv`, `Test/*.png` + `Test.csv`.
/// The folder may also be the parent of a `GTSRB/` folder holding these.
public struct GTSRBLayout {
    public static let classes = 43
    public let root: String
    public let train: [SampleRecord]?
    public let test: [SampleRecord]?
    public let description: String

    public init(root given: String) throws {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: given, isDirectory: &isDir), isDir.boolValue else {
            throw FileError(
                given, "data folder does not exist (get the data with datasets/download_gtsrb.sh or pass --data)")
        }
        let nested = (given as NSString).appendingPathComponent("GTSRB")
        let root =
            fm.fileExists(atPath: (nested as NSString).appendingPathComponent("Final_Training"))
                || fm.fileExists(atPath: (nested as NSString).appendingPathComponent("Final_Test")) ? nested : given
        self.root = root
        func p(_ parts: String...) -> String { parts.reduce(root) { ($0 as NSString).appendingPathComponent($1) } }

        if fm.fileExists(atPath: p("Final_Training")) || fm.fileExists(atPath: p("Final_Test")) {
            train =
                fm.fileExists(atPath: p("Final_Training"))
                ? try GTSRBLayout.officialTraining(p("Final_Training", "Images")) : nil
            test =
                fm.fileExists(atPath: p("Final_Test"))
                ? try GTSRBLayout.officialTest(p("Final_Test", "Images"), p("Final_Test")) : nil
            description = "official PPM layout"
        } else if fm.fileExists(atPath: p("Train.csv")) || fm.fileExists(atPath: p("Test.csv")) {
            train =
                fm.fileExists(atPath: p("Train.csv")) ? try GTSRBLayout.pngSplit(csv: p("Train.csv"), root: root) : nil
            test = fm.fileExists(atPath: p("Test.csv")) ? try GTSRBLayout.pngSplit(csv: p("Test.csv"), root: root) : nil
            description = "PNG layout (Train.csv/Test.csv)"
        } else {
            throw FileError(
                given, "no GTSRB layout found (expected Final_Training/, Final_Test/, Train.csv or Test.csv)")
        }
    }

    static func listDirectory(_ dir: String) throws -> [String] {
        do { return try FileManager.default.contentsOfDirectory(atPath: dir).sorted() } catch {
            throw FileError(dir, "cannot list folder")
        }
    }

    /// The track (physical sign) of `TTTTT_IIIII.ppm`, or of `CCCCC_TTTTT_IIIII.png`.
    static func track(of filename: String) -> Int {
        let stem = (filename as NSString).deletingPathExtension.split(separator: "_")
        if stem.count == 2 { return Int(stem[0]) ?? -1 }
        if stem.count >= 3 { return Int(stem[1]) ?? -1 }
        return -1
    }

    static func checkedLabel(_ table: CSVTable, _ row: (line: Int, fields: [String]), _ col: Int) throws -> Int {
        let v = try table.int(row, col)
        guard v >= 0 && v < classes else {
            throw FileError(table.path, line: row.line, "ClassId \(v) is outside 0…\(classes - 1)")
        }
        return v
    }

    /// Records of one annotation CSV whose `Filename`/`Path` column names files relative to `base`.
    static func records(_ table: CSVTable, base: String, pathColumn: String, labelled: Bool, fallbackLabel: Int? = nil)
        throws -> [SampleRecord]
    {
        let fc = try table.column(pathColumn)
        let lc = labelled ? try table.column("ClassId") : nil
        let w = table.optionalColumn("Width")
        let h = table.optionalColumn("Height")
        let roiCols = ["Roi.X1", "Roi.Y1", "Roi.X2", "Roi.Y2"].map { table.optionalColumn($0) }
        var out: [SampleRecord] = []
        for row in table.rows {
            let name = row.fields[fc]
            let path = (base as NSString).appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: path) else {
                throw FileError(table.path, line: row.line, "names \(name), which does not exist (\(path))")
            }
            var r = SampleRecord(
                path: path, filename: (name as NSString).lastPathComponent,
                label: try lc.map { try checkedLabel(table, row, $0) } ?? fallbackLabel ?? -1,
                track: track(of: (name as NSString).lastPathComponent), source: "\(table.path):\(row.line)")
            if let w, let h { r.annotatedSize = (try table.int(row, w), try table.int(row, h)) }
            if roiCols.allSatisfy({ $0 != nil }) {
                let v = try roiCols.map { try table.int(row, $0!) }
                r.roi = (v[0], v[1], v[2], v[3])
            }
            out.append(r)
        }
        return out
    }

    static func officialTraining(_ images: String) throws -> [SampleRecord] {
        let dirs = try listDirectory(images).filter { Int($0) != nil }
        guard !dirs.isEmpty else { throw FileError(images, "no class folders 000NN") }
        var all: [SampleRecord] = []
        for d in dirs {
            guard let cls = Int(d), cls >= 0, cls < classes else {
                throw FileError((images as NSString).appendingPathComponent(d), "class folder outside 0…42")
            }
            let dir = (images as NSString).appendingPathComponent(d)
            let csv = (dir as NSString).appendingPathComponent("GT-\(d).csv")
            guard FileManager.default.fileExists(atPath: csv) else {
                throw FileError(dir, "class folder has no GT-\(d).csv")
            }
            let recs = try records(try CSVTable(path: csv), base: dir, pathColumn: "Filename", labelled: true)
            guard !recs.isEmpty else { throw FileError(csv, "empty class: no images listed") }
            for r in recs where r.label != cls {
                throw FileError(r.source, "ClassId \(r.label) in the folder of class \(cls)")
            }
            all += recs
        }
        return all
    }

    static func officialTest(_ images: String, _ testRoot: String) throws -> [SampleRecord] {
        let fm = FileManager.default
        for dir in [images, testRoot] {
            let labelled = (dir as NSString).appendingPathComponent("GT-final_test.csv")
            if fm.fileExists(atPath: labelled) {
                return try records(try CSVTable(path: labelled), base: images, pathColumn: "Filename", labelled: true)
            }
        }
        for dir in [images, testRoot] {
            let unlabelled = (dir as NSString).appendingPathComponent("GT-final_test.test.csv")
            if fm.fileExists(atPath: unlabelled) {
                return try records(
                    try CSVTable(path: unlabelled), base: images, pathColumn: "Filename", labelled: false)
            }
        }
        // The seed repository's rearranged folders: Final_Test/Images/<class>/…
        let classDirs = try listDirectory(images).filter { Int($0) != nil }
        guard !classDirs.isEmpty else {
            throw FileError(images, "test images without GT-final_test.csv or class folders")
        }
        var all: [SampleRecord] = []
        for d in classDirs {
            guard let cls = Int(d), cls >= 0, cls < classes else { throw FileError(d, "class folder outside 0…42") }
            let dir = (images as NSString).appendingPathComponent(d)
            let files = try listDirectory(dir).filter {
                $0.lowercased().hasSuffix(".ppm") || $0.lowercased().hasSuffix(".png")
            }
            guard !files.isEmpty else { throw FileError(dir, "empty class folder") }
            all += files.map {
                SampleRecord(
                    path: (dir as NSString).appendingPathComponent($0), filename: $0, label: cls,
                    track: -1, source: dir)
            }
        }
        return all
    }

    static func pngSplit(csv: String, root: String) throws -> [SampleRecord] {
        let table = try CSVTable(path: csv)
        let labelled = table.optionalColumn("ClassId") != nil
        let recs = try records(table, base: root, pathColumn: "Path", labelled: labelled)
        guard !recs.isEmpty else { throw FileError(csv, "no images listed") }
        return recs
    }
}
