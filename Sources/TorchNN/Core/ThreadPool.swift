import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The engine's intra-op threads (PyTorch's `set_num_threads`): `run(work)` calls `work.run(thread: t)` once
/// for every thread index t in 0..<threads, the caller being thread 0, and returns when all are done.
/// Between calls a worker spins on the generation counter for a while (`spins`, as OpenMP runtimes do), then
/// parks on a condition variable; the caller likewise spins, then sleeps, while it waits for the workers. Spinning
/// saves the futex wake-up (tens of µs on a VM) at each of the ~90 parallel regions of a training step.
/// Nothing is allocated per call: the work is a value on the caller's stack, handed to the workers as a
/// pointer and its type (a Swift closure would have to be boxed to cross threads). `parallelFor` takes a non-capturing
/// closure and the values it needs.
/// Kernels give each thread its own slice of the work and its own scratch buffers (`ConvWorkspace`).
/// Modules still run one at a time, as in Torch: `run` must not be called from inside a work item.
public final class ThreadPool: @unchecked Sendable {
    /// The process's pool, used by every module. One thread until `setThreads` asks for more.
    public static let shared = ThreadPool()
    /// Upper bound on `threads` (sizes the per-thread scratch tables).
    public static let maxThreads = 64

    public private(set) var threads = 1
    /// Polls of the generation (worker) or of `pending` (caller) before sleeping: about 30 µs on this project's
    /// machine.
    static let spins = 50_000
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let finished = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    /// Calls so far: a new value (stored with release order, after `job` and `pending`) starts a call.
    private let generation = Atomic<Int>(0)
    /// Workers still running the current call.
    private let pending = Atomic<Int>(0)
    /// The work of the current call: a pointer to it on the caller's stack, and its type.
    private var job: (work: UnsafeRawPointer, type: any ParallelWork.Type)?
    // Guarded by `mutex`: workers started, workers asleep on `wake`, and whether the caller sleeps on `finished`.
    private var started = 0, sleepers = 0, callerSleeps = false

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
        let from = started
        let current = generation.load(ordering: .acquiring)
        started = max(started, n - 1)
        threads = n
        pthread_mutex_unlock(mutex)
        // A new worker waits for the generation after `current`, however late it starts running.
        for index in (from + 1)..<max(from + 1, n) { spawn(index, after: current) }
    }

    /// Calls `work.run(thread: t)` for t in 0..<threads concurrently and waits for all of them.
    public func run<Work: ParallelWork>(_ work: Work) {
        let n = threads
        if n == 1 {
            work.run(thread: 0)
            return
        }
        withUnsafePointer(to: work) { p in
            job = (UnsafeRawPointer(p), Work.self)
            pending.store(n - 1, ordering: .relaxed)
            pthread_mutex_lock(mutex)
            generation.add(1, ordering: .releasing)
            if sleepers > 0 { pthread_cond_broadcast(wake) }
            pthread_mutex_unlock(mutex)
            p.pointee.run(thread: 0)
            var spin = 0
            while pending.load(ordering: .acquiring) > 0 {
                spin += 1
                guard spin > ThreadPool.spins else { continue }
                pthread_mutex_lock(mutex)
                callerSleeps = true
                while pending.load(ordering: .acquiring) > 0 { pthread_cond_wait(finished, mutex) }
                callerSleeps = false
                pthread_mutex_unlock(mutex)
            }
        }
    }

    /// Calls `body(args, range)` on contiguous parts of 0..<count, one per thread, in parallel; on the caller
    /// alone when there is one thread or fewer than `grain` items per thread. Pass what `body` needs in
    /// `args`: a closure that captures nothing costs nothing, one that captures gets its context allocated
    /// on every call (correct, but `bench/allocations.sh` counts it).
    public func parallelFor<Args>(
        _ count: Int, grain: Int = 1, _ args: Args, _ body: @escaping (Args, Range<Int>) -> Void
    ) {
        let n = threads
        if n == 1 || count < 2 * max(1, grain) {
            body(args, 0..<count)
            return
        }
        run(Loop(count: count, parts: min(n, count / max(1, grain)), args: args, body: body))
    }

    /// `parallelFor` whose body also gets the index of the thread running it (for per-thread scratch):
    /// `body(args, range, t)`, t in 0..<threads, each t at most once.
    public func parallelSlices<Args>(
        _ count: Int, grain: Int = 1, _ args: Args, _ body: @escaping (Args, Range<Int>, Int) -> Void
    ) {
        let n = threads
        if n == 1 || count < 2 * max(1, grain) {
            body(args, 0..<count, 0)
            return
        }
        run(Slices(count: count, parts: min(n, count / max(1, grain)), args: args, body: body))
    }

    /// `parallelSlices`'s work: part t of `parts` on thread t.
    private struct Slices<Args>: ParallelWork {
        let count: Int, parts: Int, args: Args, body: (Args, Range<Int>, Int) -> Void
        func run(thread t: Int) {
            if t < parts { body(args, ThreadPool.slice(count, thread: t, of: parts), t) }
        }
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
            init(_ p: ThreadPool, _ i: Int, _ g: Int) {
                pool = p
                index = i
                generation = g
            }
        }
        let start = Unmanaged.passRetained(Start(self, index, generation)).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(
            &thread, nil,
            { raw in
                let start = Unmanaged<Start>.fromOpaque(raw!).takeRetainedValue()
                start.pool.work(start.index, after: start.generation)
                return nil
            }, start)
        precondition(rc == 0, "ThreadPool: pthread_create failed with error \(rc)")
        pthread_detach(thread)
    }

    /// A worker: waits (spinning, then asleep) for each new generation; takes part when its index is below
    /// the thread count.
    private func work(_ index: Int, after generation: Int) {
        var seen = generation
        while true {
            var spin = 0
            while self.generation.load(ordering: .acquiring) == seen {
                spin += 1
                guard spin > ThreadPool.spins else { continue }
                pthread_mutex_lock(mutex)
                sleepers += 1
                while self.generation.load(ordering: .acquiring) == seen { pthread_cond_wait(wake, mutex) }
                sleepers -= 1
                pthread_mutex_unlock(mutex)
            }
            seen = self.generation.load(ordering: .acquiring)
            guard index < threads, let job else { continue }
            job.type.run(job.work, thread: index)
            if pending.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 {
                pthread_mutex_lock(mutex)
                if callerSleeps { pthread_cond_signal(finished) }
                pthread_mutex_unlock(mutex)
            }
        }
    }
}
