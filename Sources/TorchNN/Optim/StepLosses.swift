/// The `[fx]` an optimizer's `step` returns, kept in one reused buffer so that a step allocates
/// nothing once the caller has let go of the previous step's array (Swift arrays are copy-on-write).
struct StepLosses {
    private var values: [Float] = []

    /// `[fx]`, reusing the storage of the previous step when nobody else holds it.
    mutating func one(_ fx: Float) -> [Float] {
        values.removeAll(keepingCapacity: true)
        values.append(fx)
        return values
    }
}
