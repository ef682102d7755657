import Foundation
import TorchNN
import XCTest

@testable import DistTrain

/// `--allreduce-dtype`: the 16-bit allreduce against the exact sum, and training with it against float32.
final class AllreduceDtypeTests: XCTestCase {
    /// Round trips: every bfloat16 and float16 value survives widen-then-narrow; rounding is to the nearest.
    func testNarrowingRoundsToTheNearest16BitValue() {
        for precision in [GradientPrecision.bfloat16, .float16] {
            for bits in stride(from: 0, through: 0xFFFF, by: 7) where !precision.widen(UInt16(bits)).isNaN {
                XCTAssertEqual(precision.narrow(precision.widen(UInt16(bits))), UInt16(bits))
            }
        }
        XCTAssertEqual(GradientPrecision.bfloat16.widen(GradientPrecision.bfloat16.narrow(1 + 1.0 / 512)), 1)
        XCTAssertEqual(
            GradientPrecision.bfloat16.widen(GradientPrecision.bfloat16.narrow(1 + 3.0 / 512)), 1 + 1.0 / 128)
        XCTAssertEqual(GradientPrecision.bfloat16.widen(GradientPrecision.bfloat16.narrow(3e38)), 3e38, accuracy: 2e36)
        XCTAssertTrue(GradientPrecision.bfloat16.widen(GradientPrecision.bfloat16.narrow(.nan)).isNaN)
    }

    /// The 16-bit allreduce at 1 to 4 ranks (`testSixteenBitAllreduceWorker` on every rank).
    func testSixteenBitAllreduceIsTheSumWithinItsRounding() {
        for ranks in 1...4 {
            MPIHarness.assertWorkerPasses(ranks, "AllreduceDtypeTests/testSixteenBitAllreduceWorker")
        }
    }

    /// Rank r holds x_r[i] = (1 + r) · sin(0.37 i + r) · 10^(i mod 4 − 3) over 1001 values (an odd count), rounded
    /// to 16 bits. The sum of n values rounded at each of its n − 1 additions and at the n inputs lies within
    /// n · (u/2 · Σ|x_r[i]| + s/2) of the exact sum (u = 2^-8 for bfloat16, 2^-11 for float16; s the spacing of the
    /// smallest values, float16's subnormals 2^-24, none for bfloat16): checked with twice that.
    func testSixteenBitAllreduceWorker() throws {
        guard MPIHarness.isWorker else {
            throw XCTSkip("a worker: runs under mpirun from testSixteenBitAllreduceIsTheSumWithinItsRounding")
        }
        let comm = Communicator.world()
        defer { Communicator.finalize() }
        let count = 1001
        let value = { (r: Int, i: Int) in Float(1 + r) * sin(0.37 * Float(i) + Float(r)) * powf(10, Float(i % 4 - 3)) }
        for (precision, u, s) in [(GradientPrecision.bfloat16, 1.0 / 256, 0.0), (.float16, 1.0 / 2048, 0x1p-24)] {
            let buffer = UnsafeMutablePointer<UInt16>.allocate(capacity: count)
            defer { buffer.deallocate() }
            for i in 0..<count {
                buffer[i] = precision.narrow(value(comm.rank, i))
            }
            comm.allreduceSum(buffer, count: count, precision: precision)
            for i in 0..<count {
                let exact = (0..<comm.size).reduce(0.0) { $0 + Double(value($1, i)) }
                let magnitude = (0..<comm.size).reduce(0.0) { $0 + abs(Double(value($1, i))) }
                let bound = Double(comm.size) * (u * magnitude + s)
                XCTAssertLessThanOrEqual(
                    abs(Double(precision.widen(buffer[i])) - exact), bound, "\(precision) value \(i)")
            }
        }
    }

    /// convnet at 2 ranks for 24 steps (4 epochs of 6), buckets of 1001 values (an odd size that does not divide
    /// its 59,595 gradient values): bfloat16 and float16 end within 1e-2 (relative, largest parameter difference)
    /// of float32, and training moved the parameters far more than that.
    func testTrainingWithSixteenBitGradientsStaysCloseToFloat32() throws {
        var params: [GradientPrecision: [Float]] = [:]
        for precision in GradientPrecision.allCases {
            let dir = MPIHarness.tempDir("dtype-\(precision.rawValue)")
            let out = MPIHarness.run(
                2,
                [
                    "train", "--data", MPIHarness.sharedDataset, "--cache-dir", "\(dir)/cache", "--save", "\(dir)/ckpt",
                    "--model", "convnet", "--batch-size", "16", "--epochs", "4", "--bucket-mb", "0.00381851",
                    "--allreduce-dtype", precision.rawValue,
                ], cwd: dir)
            XCTAssertEqual(out.status, 0, out.text)
            params[precision] = try Checkpoint.read(path: "\(dir)/ckpt/epoch-004.ckpt").params
        }
        let reference = try XCTUnwrap(params[.float32])
        let scale = reference.map { abs($0) }.max() ?? 1
        let initial = ModelRegistry.make(.convnet, seed: 1).getParameters().params.array
        let moved = zip(reference, initial).map { abs($0 - $1) }.max()! / scale
        for precision in [GradientPrecision.bfloat16, .float16] {
            let difference = zip(try XCTUnwrap(params[precision]), reference).map { abs($0 - $1) }.max()! / scale
            print("\(precision.rawValue) vs float32 after 24 steps: \(difference) (training moved \(moved))")
            XCTAssertLessThan(difference, 1e-2)
            XCTAssertGreaterThan(moved, 10 * difference)
        }
    }
}
