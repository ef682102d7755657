import Foundation
import XCTest

/// README.md shows the library example verbatim: the shown code is the code `swift build` compiles.
final class ReadmeExampleTests: XCTestCase {
    func testReadmeShowsTheExampleFile() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let marker = "<!-- example: Examples/TorchTutorial/main.swift -->\n```swift\n"
        let start = try XCTUnwrap(readme.range(of: marker), "README.md lost the example marker")
        let end = try XCTUnwrap(readme.range(of: "\n```", range: start.upperBound..<readme.endIndex))
        let shown = String(readme[start.upperBound..<end.lowerBound])
        let file = try String(
            contentsOf: root.appendingPathComponent("Examples/TorchTutorial/main.swift"), encoding: .utf8)
        XCTAssertEqual(shown + "\n", file)
    }
}
