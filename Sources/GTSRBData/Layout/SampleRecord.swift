/// One image of a GTSRB split as its annotation describes it.
public struct SampleRecord: Equatable, Sendable {
    /// Absolute path of the image file.
    public var path: String
    /// The name written in predictions (`00000.ppm`).
    public var filename: String
    /// Class 0…42, or -1 when unlabelled.
    public var label: Int
    /// The physical sign (track) within its class; -1 when unknown.
    public var track: Int
    /// Region of interest (x1, y1, x2, y2 inclusive) in the CSV's coordinates, and the CSV's image size.
    public var roi: (x1: Int, y1: Int, x2: Int, y2: Int)?
    public var annotatedSize: (width: Int, height: Int)?
    /// Where the record came from, for error messages.
    public var source: String

    public static func == (a: SampleRecord, b: SampleRecord) -> Bool {
        a.path == b.path && a.label == b.label && a.track == b.track
    }
}
