import CMPI
import TorchNN

/// Overlaps the gradient allreduce with the backward pass, as PyTorch DDP's buckets do: the layers'
/// gradients are views into ONE flat vector in module order, and backward accumulates them from the last
/// layer to the first, so the vector fills from its end. Once `bucketElements` finished values lie below
/// the part already sent, that range is allreduced with `MPI_Iallreduce` while the earlier layers compute;
/// `finish` sends the rest and waits. vgg_small's Linear(4608, 512) (88 % of the values) is finished
/// before any convolution's weight gradient, so most of the reduction overlaps convolution work.
/// The sums are the same as one blocking allreduce of the whole vector (each element is summed over the
/// same ranks; with more than two ranks MPI may order the additions differently, within rounding).
/// With a 16-bit `precision` each bucket is rounded into `narrow` (allocated once) before it is sent, and the whole
/// vector is widened back after the wait. `bucketElements` 0: one bucket, sent after the backward pass.
final class GradientBuckets {
    private let comm: Communicator
    private let grads: Tensor
    private let bucketElements: Int
    /// Lowest offset of each leaf module's gradients in the flat vector (modules without parameters absent).
    private let start: [ObjectIdentifier: Int]
    /// Values at or above `ready` are final for this step; values at or above `sent` are being reduced.
    private var ready = 0, sent = 0
    private let requests: UnsafeMutablePointer<MPI_Request?>
    private let maxRequests: Int
    private var started = 0
    private let precision: GradientPrecision
    /// The 16-bit copy of the gradient that is reduced (absent for float32).
    private let narrow: UnsafeMutablePointer<UInt16>?
    /// When this step's first bucket was started (0: not yet).
    private var firstSend = 0.0
    /// Seconds of backward pass that ran while some bucket was in flight, summed over steps: the compute the
    /// communication can hide behind (`resetTimers` zeroes it).
    var overlapWindowSeconds = 0.0
    /// Buckets started, summed over steps.
    var bucketsStarted = 0

    init(
        model: Module, grads: Tensor, comm: Communicator, bucketElements: Int,
        precision: GradientPrecision = .float32
    ) {
        self.comm = comm
        self.grads = grads
        self.bucketElements = bucketElements
        self.precision = precision
        narrow = precision == .float32 ? nil : .allocate(capacity: grads.count)
        var start: [ObjectIdentifier: Int] = [:]
        for m in model.allModules where m.children.isEmpty {
            let offsets = m.parameters().grads.map { $0.data - grads.data }
            if let low = offsets.min() { start[ObjectIdentifier(m)] = low }
        }
        self.start = start
        maxRequests = bucketElements > 0 ? grads.count / bucketElements + 2 : 2
        requests = .allocate(capacity: maxRequests)
        requests.initialize(repeating: CMPI_REQUEST_NULL, count: maxRequests)
    }

    deinit {
        requests.deallocate()
        narrow?.deallocate()
    }

    /// Before the backward pass: nothing is final yet.
    func begin() {
        ready = grads.count
        sent = grads.count
        started = 0
        firstSend = 0
    }

    /// After module `m` has accumulated its gradients: starts a bucket when enough values are final,
    /// and lets the started ones progress.
    func finished(_ m: Module) {
        if let s = start[ObjectIdentifier(m)] { ready = min(ready, s) }
        if bucketElements > 0 && sent - ready >= bucketElements && started < maxRequests - 1 { send() }
        if started > 0 { comm.progress(requests, count: started) }
    }

    /// After the backward pass: sends what is left and waits for every bucket.
    func finish() {
        precondition(
            ready == 0 || start.isEmpty,
            "GradientBuckets: gradients from offset 0 to \(ready) were never reported finished")
        ready = 0
        if firstSend > 0 { overlapWindowSeconds += monotonicSeconds() - firstSend }
        if sent > 0 { send() }
        bucketsStarted += started
        comm.waitAll(requests, count: started)
        if let narrow {
            precision.widen(narrow, into: grads.data, count: grads.count)
        }
    }

    private func send() {
        if started == 0 { firstSend = monotonicSeconds() }
        if let narrow {
            precision.narrow(grads.data + ready, into: narrow + ready, count: sent - ready)
            comm.startAllreduceSum(
                narrow + ready, count: sent - ready, precision: precision, request: requests + started)
        } else {
            comm.startAllreduceSum(grads.data + ready, count: sent - ready, request: requests + started)
        }
        started += 1
        sent = ready
    }
}
