/// Work spread over the `ThreadPool`: `run(thread:)` does thread t's share (t in 0..<threads).
public protocol ParallelWork {
    func run(thread t: Int)
}

extension ParallelWork {
    /// Runs the work of this type that `work` points to (how a worker calls the caller's value).
    static func run(_ work: UnsafeRawPointer, thread t: Int) {
        work.assumingMemoryBound(to: Self.self).pointee.run(thread: t)
    }
}
