import CMPI
import Foundation

/// An MPI communicator: rank, size, every rank's host name, in-place allreduce-sum (blocking or started and waited
/// for, with a deadline when `timeout` is set), broadcast, gather, barrier, split, abort.
/// A process started without mpirun is an MPI singleton of size 1 and takes the same code path.
public final class Communicator: @unchecked Sendable {
    public let rank: Int
    public let size: Int
    /// Every rank's host name (`gethostname`), by rank.
    public let hosts: [String]
    let comm: MPI_Comm
    /// Seconds a step's collectives (`allreduceSum`, `waitAll`) may wait before the job is declared broken
    /// (`--comm-timeout`); nil: they wait as long as MPI does.
    public var timeout: Double?

    init(_ comm: MPI_Comm) {
        self.comm = comm
        var r: Int32 = 0
        var s: Int32 = 0
        MPI_Comm_rank(comm, &r)
        MPI_Comm_size(comm, &s)
        rank = Int(r)
        size = Int(s)
        hosts = Communicator.gatherHostNames(comm, size: Int(s))
    }

    /// This process's host name.
    public static var hostName: String {
        var name = [UInt8](repeating: 0, count: 256)
        gethostname(&name, 255)
        return String(decoding: name.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// Every rank's host name (at most 63 bytes each), by rank.
    private static func gatherHostNames(_ comm: MPI_Comm, size: Int) -> [String] {
        let width = 64
        var mine = [UInt8](repeating: 0, count: width)
        for (i, byte) in Array(hostName.utf8.prefix(width - 1)).enumerated() {
            mine[i] = byte
        }
        guard size > 1 else {
            return [hostName]
        }
        var all = [UInt8](repeating: 0, count: width * size)
        MPI_Allgather(&mine, Int32(width), CMPI_BYTE, &all, Int32(width), CMPI_BYTE, comm)
        return (0..<size).map { r in
            String(decoding: all[r * width..<(r + 1) * width].prefix { $0 != 0 }, as: UTF8.self)
        }
    }

    /// "rank R on HOST", for messages.
    public func describe(_ r: Int) -> String {
        "rank \(r) on \(hosts[r])"
    }

    /// Initialises MPI once per process and returns the world communicator.
    public static func world() -> Communicator {
        var initialized: Int32 = 0
        MPI_Initialized(&initialized)
        if initialized == 0 {
            var provided: Int32 = 0
            MPI_Init_thread(nil, nil, Int32(MPI_THREAD_FUNNELED), &provided)
        }
        return Communicator(CMPI_COMM_WORLD)
    }

    /// Finalises MPI (once, at exit).
    public static func finalize() {
        var finalized: Int32 = 0
        MPI_Finalized(&finalized)
        if finalized == 0 { MPI_Finalize() }
    }

    public var isRoot: Bool { rank == 0 }

    /// Every collective below is started as MPI's non-blocking form and waited for by `waitAll`, so that
    /// `timeout`, when set, bounds all of them alike.
    private func complete(_ start: (UnsafeMutablePointer<MPI_Request?>) -> Int32) {
        var request: MPI_Request? = CMPI_REQUEST_NULL
        _ = start(&request)
        waitAll(&request, count: 1)
    }

    /// Sums `count` floats in place across ranks.
    public func allreduceSum(_ buffer: UnsafeMutablePointer<Float>, count: Int) {
        guard size > 1 else { return }
        complete { startAllreduceSum(buffer, count: count, request: $0) }
    }
    /// Starts summing `count` floats in place across ranks (`MPI_Iallreduce`); the buffer must not be touched
    /// until `waitAll` has returned for `request`.
    @discardableResult
    public func startAllreduceSum(
        _ buffer: UnsafeMutablePointer<Float>, count: Int, request: UnsafeMutablePointer<MPI_Request?>
    ) -> Int32 {
        MPI_Iallreduce(CMPI_IN_PLACE, buffer, Int32(count), CMPI_FLOAT, CMPI_SUM, comm, request)
    }
    /// Starts summing `count` 16-bit values of `precision` in place across ranks (`MPI_Iallreduce` with the format's
    /// own sum, which adds in float32 and rounds at each hop); waited for like `startAllreduceSum`.
    @discardableResult
    public func startAllreduceSum(
        _ buffer: UnsafeMutablePointer<UInt16>, count: Int, precision: GradientPrecision,
        request: UnsafeMutablePointer<MPI_Request?>
    ) -> Int32 {
        MPI_Iallreduce(CMPI_IN_PLACE, buffer, Int32(count), CMPI_UINT16, precision.sumOperation, comm, request)
    }
    /// Sums `count` 16-bit values of `precision` in place across ranks.
    public func allreduceSum(_ buffer: UnsafeMutablePointer<UInt16>, count: Int, precision: GradientPrecision) {
        guard size > 1 else { return }
        complete { startAllreduceSum(buffer, count: count, precision: precision, request: $0) }
    }
    /// Lets started reductions progress (Open MPI moves non-blocking collectives only inside MPI calls).
    public func progress(_ requests: UnsafeMutablePointer<MPI_Request?>, count: Int) {
        var done: Int32 = 0
        MPI_Testall(Int32(count), requests, &done, CMPI_STATUSES_IGNORE)
    }
    /// Waits for started collectives to finish; past `timeout` seconds the job is declared broken
    /// (`abandon`: names the ranks that no longer answer and ends this process).
    public func waitAll(_ requests: UnsafeMutablePointer<MPI_Request?>, count: Int) {
        guard let timeout else {
            MPI_Waitall(Int32(count), requests, CMPI_STATUSES_IGNORE)
            return
        }
        let deadline = monotonicSeconds() + timeout
        var done: Int32 = 0
        while true {
            MPI_Testall(Int32(count), requests, &done, CMPI_STATUSES_IGNORE)
            if done != 0 {
                return
            }
            if monotonicSeconds() > deadline {
                abandon(waited: timeout)
            }
            sched_yield()
        }
    }
    /// Sums `count` doubles in place across ranks.
    public func allreduceSum(_ buffer: UnsafeMutablePointer<Double>, count: Int) {
        guard size > 1 else { return }
        complete { MPI_Iallreduce(CMPI_IN_PLACE, buffer, Int32(count), CMPI_DOUBLE, CMPI_SUM, comm, $0) }
    }
    /// Sums `values` in place across ranks.
    public func allreduceSum(_ values: inout [Double]) {
        values.withUnsafeMutableBufferPointer { allreduceSum($0.baseAddress!, count: $0.count) }
    }
    /// Largest of `value` across ranks.
    public func allreduceMax(_ value: Double) -> Double {
        guard size > 1 else { return value }
        var v = value
        complete { MPI_Iallreduce(CMPI_IN_PLACE, &v, 1, CMPI_DOUBLE, CMPI_MAX, comm, $0) }
        return v
    }
    /// Copies `count` floats from `root` to every rank.
    public func broadcast(_ buffer: UnsafeMutablePointer<Float>, count: Int, root: Int = 0) {
        guard size > 1 else { return }
        complete { MPI_Ibcast(buffer, Int32(count), CMPI_FLOAT, Int32(root), comm, $0) }
    }
    /// Copies `bytes` from `root` to every rank (other ranks' arrays take root's size).
    public func broadcast(_ bytes: inout [UInt8], root: Int = 0) {
        guard size > 1 else { return }
        var n = Int64(bytes.count)
        complete { MPI_Ibcast(&n, 8, CMPI_BYTE, Int32(root), comm, $0) }
        if bytes.count != Int(n) { bytes = [UInt8](repeating: 0, count: Int(n)) }
        bytes.withUnsafeMutableBytes { broadcast($0.baseAddress, count: Int(n), root: root) }
    }
    /// Copies `data` from `root` to every rank (other ranks' data take root's size).
    public func broadcast(_ data: inout Data, root: Int = 0) {
        guard size > 1 else { return }
        var n = Int64(data.count)
        complete { MPI_Ibcast(&n, 8, CMPI_BYTE, Int32(root), comm, $0) }
        if data.count != Int(n) { data = Data(count: Int(n)) }
        data.withUnsafeMutableBytes { broadcast($0.baseAddress, count: Int(n), root: root) }
    }
    /// Copies `text` from `root` to every rank.
    public func broadcast(_ text: inout String, root: Int = 0) {
        var bytes = Array(text.utf8)
        broadcast(&bytes, root: root)
        text = String(decoding: bytes, as: UTF8.self)
    }
    /// Copies `count` bytes at `base` from `root` to every rank, in pieces of at most 1 GiB (MPI counts are 32-bit).
    func broadcast(_ base: UnsafeMutableRawPointer?, count: Int, root: Int) {
        var offset = 0
        while offset < count {
            let piece = min(count - offset, 1 << 30)
            complete { MPI_Ibcast(base! + offset, Int32(piece), CMPI_BYTE, Int32(root), comm, $0) }
            offset += piece
        }
    }
    /// Every rank's `values` (equal counts) concatenated in rank order, on every rank.
    public func allgather(_ values: [Double]) -> [Double] {
        guard size > 1 else { return values }
        var out = [Double](repeating: 0, count: values.count * size)
        let n = Int32(values.count)
        values.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                complete { MPI_Iallgather(src.baseAddress, n, CMPI_DOUBLE, dst.baseAddress, n, CMPI_DOUBLE, comm, $0) }
            }
        }
        return out
    }
    /// Every rank's `values` (equal counts) concatenated in rank order, on `root` only (empty elsewhere).
    public func gather(_ values: [Float], root: Int = 0) -> [Float] {
        guard size > 1 else { return values }
        var out = [Float](repeating: 0, count: rank == root ? values.count * size : 0)
        let n = Int32(values.count)
        values.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                complete {
                    MPI_Igather(src.baseAddress, n, CMPI_FLOAT, dst.baseAddress, n, CMPI_FLOAT, Int32(root), comm, $0)
                }
            }
        }
        return out
    }
    /// Every rank's `text`, by rank, on `root` (empty elsewhere).
    public func gather(_ text: String, root: Int = 0) -> [String] {
        guard size > 1 else {
            return [text]
        }
        var bytes = Array(text.utf8)
        var length = Int32(bytes.count)
        var lengths = [Int32](repeating: 0, count: size)
        complete { MPI_Igather(&length, 1, CMPI_INT32, &lengths, 1, CMPI_INT32, Int32(root), comm, $0) }
        var offsets = [Int32](repeating: 0, count: size)
        for r in 1..<size {
            offsets[r] = offsets[r - 1] + lengths[r - 1]
        }
        var all = [UInt8](repeating: 0, count: rank == root ? Int(lengths.reduce(0, +)) + 1 : 1)
        complete {
            MPI_Igatherv(&bytes, length, CMPI_BYTE, &all, lengths, offsets, CMPI_BYTE, Int32(root), comm, $0)
        }
        guard rank == root else {
            return []
        }
        return (0..<size).map { r in
            let start = Int(offsets[r])
            return String(decoding: all[start..<start + Int(lengths[r])], as: UTF8.self)
        }
    }
    public func barrier() {
        if size > 1 {
            complete { MPI_Ibarrier(comm, $0) }
        }
    }

    /// Splits into sub-communicators by `color`, ordered by `key`.
    public func split(color: Int, key: Int) -> Communicator {
        split(color: Optional(color), key: key)!
    }
    /// Splits into sub-communicators by `color`, ordered by `key`; ranks whose color is nil join none (nil).
    public func split(color: Int?, key: Int) -> Communicator? {
        var newComm: MPI_Comm? = nil
        MPI_Comm_split(comm, Int32(color ?? Int(CMPI_UNDEFINED)), Int32(key), &newComm)
        guard let newComm, color != nil else {
            return nil
        }
        return Communicator(newComm)
    }

    /// The ranks of this communicator on this rank's host (shared-memory node), ordered by rank.
    public func splitByHost() -> Communicator {
        guard size > 1 else {
            return self
        }
        var local: MPI_Comm? = nil
        MPI_Comm_split_type(comm, CMPI_COMM_TYPE_SHARED, Int32(rank), CMPI_INFO_NULL, &local)
        return Communicator(local!)
    }

    /// The number of ranks of this communicator on this rank's host (shared-memory node).
    public func ranksOnHost() -> Int {
        guard size > 1 else { return 1 }
        var local: MPI_Comm? = nil
        MPI_Comm_split_type(comm, CMPI_COMM_TYPE_SHARED, Int32(rank), CMPI_INFO_NULL, &local)
        guard let l = local else { return 1 }
        var n: Int32 = 1
        MPI_Comm_size(l, &n)
        MPI_Comm_free(&local)
        return Int(n)
    }

    /// Ends every rank of the job with `code` (never returns).
    public func abort(_ code: Int32) -> Never {
        MPI_Abort(comm, code)
        exit(code)
    }
}
