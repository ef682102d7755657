import Foundation
import XCTest

@testable import TorchNN

final class SafeTensorsTests: XCTestCase {
    func reason(_ bytes: [UInt8]) -> String {
        do {
            _ = try SafeTensors.decode(bytes, path: "f.safetensors")
            return "no error"
        } catch { return "\(error)" }
    }

    func testRoundTripOfAModel() throws {
        let a = ModelRegistry.make(.vggSmall, seed: 3)
        let b = ModelRegistry.make(.vggSmall, seed: 4)
        let bytes = try SafeTensors.encode(StateDict.export(a), metadata: ["mean": "0.1,0.2,0.3"])
        let (tensors, meta) = try SafeTensors.decode(bytes, path: "m")
        XCTAssertEqual(meta["mean"], "0.1,0.2,0.3")
        XCTAssertEqual(tensors["features.0.weight"]?.shape, [32, 3, 3, 3])
        XCTAssertEqual(tensors["classifier.1.weight"]?.shape, [512, 4608])
        XCTAssertEqual(tensors["classifier.3.running_var"]?.shape, [512])
        XCTAssertEqual(tensors["features.1.num_batches_tracked"]?.dtype, "I64")
        try StateDict.load(b, from: tensors, source: "m")
        XCTAssertEqual(a.getParameters().params.array, b.getParameters().params.array)
        XCTAssertEqual(a.getBuffers().array, b.getBuffers().array)
    }

    /// The transformer models' names number the transformers' branches as a PyTorch Sequential of the same nesting
    /// does (tools/torch_models.py's twins), and their exports load back: vgg_small_stn, and vgg_small_stn2 with its
    /// feature transformer between stage 1 and stages 2–3.
    func testRoundTripOfTheTransformerModels() throws {
        let shapes: [(ModelName, [String: [Int]], identityHead: String)] = [
            (
                .vggSmallSTN,
                [
                    "0.0.1.0.1.weight": [20, 3, 5, 5], "0.0.1.1.weight": [4, 50], "1.0.weight": [32, 3, 3, 3],
                    "2.1.weight": [512, 4608],
                ], "0.0.1.1.bias"
            ),
            (
                .vggSmallSTN2,
                [
                    "0.0.1.0.1.weight": [20, 3, 5, 5], "1.0.weight": [32, 3, 3, 3], "2.0.1.0.1.weight": [32, 32, 5, 5],
                    "2.0.1.0.5.weight": [50, 512], "3.0.weight": [64, 32, 3, 3], "4.1.weight": [512, 4608],
                ], "2.0.1.1.bias"
            ),
        ]
        for (model, expected, head) in shapes {
            let a = ModelRegistry.make(model, seed: 3)
            let b = ModelRegistry.make(model, seed: 4)
            let encoded = try SafeTensors.encode(StateDict.export(a), metadata: [:])
            let (tensors, _) = try SafeTensors.decode(encoded, path: "m")
            for (name, shape) in expected {
                XCTAssertEqual(tensors[name]?.shape, shape, "\(model) \(name)")
            }
            XCTAssertEqual(tensors[head]?.floats, [0, 1, 0, 0], "\(model): the head starts at the identity")
            try StateDict.load(b, from: tensors, source: "m")
            XCTAssertEqual(a.getParameters().params.array, b.getParameters().params.array)
        }
    }

    func testReadsAFileWrittenByPythonSafetensors() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
            "Fixtures/python_written.safetensors"
        ).path
        let (t, meta) = try SafeTensors.read(path: path)
        XCTAssertEqual(meta["producer"], "safetensors-python")
        XCTAssertEqual(t["weight"]?.shape, [2, 3])
        XCTAssertEqual(t["weight"]?.floats, [0, 0.25, 0.5, 0.75, 1, 1.25])
        XCTAssertEqual(t["bias"]?.floats, [-1.5, 2.25])
        XCTAssertEqual(t["steps"]?.dtype, "I64")
        XCTAssertEqual(t["steps"]?.shape, [])
    }

    func testBadFilesAreRejectedWithClearErrors() throws {
        let good = try SafeTensors.encode([("w", SafeTensors.Entry(floats: [1, 2], shape: [2]))])
        XCTAssertEqual(reason(good), "no error")
        var pastEnd = good
        pastEnd[0] = 0xFF
        pastEnd[1] = 0xFF
        XCTAssertTrue(reason(pastEnd).contains("runs past the end"))
        XCTAssertTrue(reason([1, 2, 3]).contains("too short"))
        func file(_ json: String, data: Int) -> [UInt8] {
            var j = Array(json.utf8)
            while j.count % 8 != 0 { j.append(32) }
            var out: [UInt8] = []
            withUnsafeBytes(of: UInt64(j.count).littleEndian) { out += $0 }
            return out + j + [UInt8](repeating: 0, count: data)
        }
        XCTAssertTrue(reason(file("{not json", data: 0)).contains("not a JSON object"))
        XCTAssertTrue(
            reason(
                file(
                    #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"#
                        + #""b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#,
                    data: 12)
            ).contains("overlap"))
        XCTAssertTrue(
            reason(file(#"{"a":{"dtype":"Q7","shape":[2],"data_offsets":[0,8]}}"#, data: 8)).contains(
                "unsupported dtype Q7"))
        XCTAssertTrue(
            reason(file(#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: 8)).contains("needs 12 bytes")
        )
        XCTAssertTrue(
            reason(file(#"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, data: 8)).contains(
                "outside the data"))
    }

    func testMissingOrMisshapedTensorIsNamed() throws {
        let m = ModelRegistry.make(.convnet, seed: 1)
        var t = Dictionary(uniqueKeysWithValues: StateDict.export(m))
        t["7.weight"] = SafeTensors.Entry(floats: [1], shape: [1])
        XCTAssertThrowsError(try StateDict.load(m, from: t, source: "x")) {
            XCTAssertTrue("\($0)".contains("tensor 7.weight is F32 [1], expected F32 [43, 1296]"))
        }
        t["7.weight"] = nil
        XCTAssertThrowsError(try StateDict.load(m, from: t, source: "x")) {
            XCTAssertTrue("\($0)".contains("tensor 7.weight is missing"))
        }
    }
}
