extension RandomAccessCollection where Element: Comparable {
    /// The offset from `startIndex` of the largest element, the first one on ties (Torch's `max(dim)` index):
    /// a model's predicted class in a row of scores. The collection must not be empty. Inlinable, so that callers in
    /// other modules get it specialised (unspecialised, it allocated on every element read).
    @inlinable
    public func indexOfMax() -> Int {
        precondition(!isEmpty, "indexOfMax of an empty collection")
        var best = startIndex
        var i = index(after: startIndex)
        while i != endIndex {
            if self[i] > self[best] {
                best = i
            }
            formIndex(after: &i)
        }
        return distance(from: startIndex, to: best)
    }
}
