import Foundation

/// The tests' scratch folders: a test process's all lie in one folder of the temporary directory, removed when the
/// process exits, so repeated test runs leave nothing behind. `GTSRB_KEEP_TEST_FILES=1` keeps it (to look at a
/// failing test's files).
public enum TestScratch {
    /// `$TMPDIR/gtsrb-tests-<pid>`, made on first use.
    public static let root: String = {
        let root = NSTemporaryDirectory() + "gtsrb-tests-\(getpid())"
        try! FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        if ProcessInfo.processInfo.environment["GTSRB_KEEP_TEST_FILES"] != "1" {
            atexit {
                try? FileManager.default.removeItem(atPath: TestScratch.root)
            }
        }
        return root
    }()

    /// A new empty folder `root/name-<random>`.
    public static func folder(_ name: String) -> String {
        let folder = "\(root)/\(name)-\(UInt32.random(in: 0...UInt32.max))"
        try! FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }

    /// A path for a new file `root/name-<random>.suffix` (not created).
    public static func file(_ name: String, suffix: String) -> String {
        "\(root)/\(name)-\(UInt32.random(in: 0...UInt32.max)).\(suffix)"
    }
}
