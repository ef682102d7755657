/// Which part of each image is decoded (`--crop`).
public enum Crop: String, CaseIterable, Codable, Sendable {
    /// The whole image, border included (the seed's).
    case whole
    /// The annotated region of interest (`Roi.X1…Roi.Y2`), scaled when the file's size differs from the CSV's.
    case roi
}
