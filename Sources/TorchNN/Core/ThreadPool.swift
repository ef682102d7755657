#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The engine's intra-op threads (PyTorch's `set_num_threads`): `run(work)` calls `work.run(thread: t)` once
/// for every thread index t in 0..<threads, the caller being thread 0, and returns when all are done.
/// Workers are pthreads parked on a condition variable between calls. Nothing is allocated per call: the work
/// is a value on the caller's stack, handed to the workers as a pointer and its type (a Swift closure would
/// have to be boxed to cross threads). `parallelFor` takes a non-capturing closure and the values it needs.
/// Kernels give each thread its own slice of the work and its own scratch buffers (`ConvWorkspace`).
/// Modules still run one at a time, as in Torch: `run` must not be called from inside a work item.
public final class ThreadPool: @unchecked Sendable {
    /// The process's pool, used by every module. One thread until `setThreads` asks for more.
    public static let shared = ThreadPool()
    /// Upper bound on `threads` (sizes the per-thread scratch tables).
    public static let maxThreads = 64

    public private(set) var threads = 1
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let finished = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    // Guarded by `mutex`.
    /// The work of the current call: a pointer to it on the caller's stack, and its type.
    private var job: (work: UnsafeRawPointer, type: any ParallelWork.Type)?
    private var generation = 0, pending = 0, started = 0

    private init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(wake, nil)
        pthread_cond_init(finished, nil)
    }

    /// Uses `n` threads (clamped to 1…maxThreads) from now on; starts the workers that are missing.
    /// Workers beyond `n` stay parked. OpenBLAS is set to one thread: each GEMM runs on the thread that calls it.
    public func setThreads(_ n: Int) {
        let n = min(max(1, n), ThreadPool.maxThreads)
        BLAS.setThreads(1)
        pthread_mutex_lock(mutex)
        let from = started, current = generation
        started = max(started, n - 1)
        threads = n
        pthread_mutex_unlock(mutex)
        // A new worker waits for the generation after `current`, however late it starts running.
        for index in (from + 1)..<max(from + 1, n) { spawn(index, after: current) }
    }

    /// Calls `work.run(thread: t)` for t in 0..<threads concurrently and waits for all of them.
    public func run<Work: ParallelWork>(_ work: Work) {
        let n = threads
        if n == 1 { work.run(thread: 0); return }
        withUnsafePointer(to: work) { p in
            pthread_mutex_lock(mutex)
            job = (UnsafeRawPointer(p), Work.self)
            pending = n - 1
            generation += 1
            pthread_cond_broadcast(wake)
            pthread_mutex_unlock(mutex)
            p.pointee.run(thread: 0)
            pthread_mutex_lock(mutex)
            while pending > 0 { pthread_cond_wait(finished, mutex) }
            job = nil
            pthread_mutex_unlock(mutex)
        }
    }

    /// Calls `body(args, range)` on contiguous parts of 0..<count, one per thread, in parallel; on the caller
    /// alone when there is one thread or fewer than `grain` items per thread. Pass what `body` needs in
    /// `args`: a closure that captures nothing costs nothing, one that captures gets its context allocated
    /// on every call (correct, but `bench/allocations.sh` counts it).
    public func parallelFor<Args>(_ count: Int, grain: Int = 1, _ args: Args, _ body: @escaping (Args, Range<Int>) -> Void) {
        let n = threads
        if n == 1 || count < 2 * max(1, grain) { body(args, 0..<count); return }
        run(Loop(count: count, parts: min(n, count / max(1, grain)), args: args, body: body))
    }

    /// `parallelFor`'s work: part t of `parts`.
    private struct Loop<Args>: ParallelWork {
        let count: Int, parts: Int, args: Args, body: (Args, Range<Int>) -> Void
        func run(thread t: Int) {
            if t < parts { body(args, ThreadPool.slice(count, thread: t, of: parts)) }
        }
    }

    /// The part of 0..<count that thread t of `threads` takes: contiguous, sizes differing by at most one.
    public static func slice(_ count: Int, thread t: Int, of threads: Int) -> Range<Int> {
        (count * t / threads)..<(count * (t + 1) / threads)
    }

    private func spawn(_ index: Int, after generation: Int) {
        final class Start {
            let pool: ThreadPool, index: Int, generation: Int
            init(_ p: ThreadPool, _ i: Int, _ g: Int) { pool = p; index = i; generation = g }
        }
        let start = Unmanaged.passRetained(Start(self, index, generation)).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { raw in
            let start = Unmanaged<Start>.fromOpaque(raw!).takeRetainedValue()
            start.pool.work(start.index, after: start.generation)
            return nil
        }, start)
        precondition(rc == 0, "ThreadPool: pthread_create failed with error \(rc)")
        pthread_detach(thread)
    }

    /// A worker: waits for each new generation; takes part when its index is below the thread count.
    private func work(_ index: Int, after generation: Int) {
        var seen = generation
        pthread_mutex_lock(mutex)
        while true {
            while self.generation == seen { pthread_cond_wait(wake, mutex) }
            seen = self.generation
            guard index < threads, let job else { continue }
            pthread_mutex_unlock(mutex)
            job.type.run(job.work, thread: index)
            pthread_mutex_lock(mutex)
            pending -= 1
            if pending == 0 { pthread_cond_signal(finished) }
        }
    }
}
