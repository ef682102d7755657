/// `nn.SelectTable(index)`: the element `index` of a table input (Torch's 1-based index; negative counts from the
/// end, -1 is the last), without a copy. gradInput has the input's structure: gradOutput at `index`, zeros elsewhere.
public final class SelectTable: Module {
    public let index: Int

    public init(_ index: Int) {
        precondition(index != 0, "nn.SelectTable: the index is 1-based (or negative from the end), got 0")
        self.index = index
        super.init()
    }

    /// The 0-based position of `index` in a table of `count` elements.
    private func position(_ count: Int) -> Int {
        let p = index < 0 ? count + index : index - 1
        precondition(p >= 0 && p < count, "\(self): index \(index) is outside a table of \(count) elements")
        return p
    }

    public override func updateOutput(_ input: Tensor) -> Tensor {
        let x = input.elements(for: self)
        output = x[position(x.count)]
        return output
    }

    public override func updateGradInput(_ input: Tensor, _ gradOutput: Tensor) -> Tensor {
        let x = input.elements(for: self)
        let p = position(x.count)
        gradInput.resizeAs(input)
        for (i, g) in gradInput.table!.enumerated() {
            if i == p {
                g.copyStructure(from: gradOutput)
            } else {
                g.zeroStructure(like: x[i])
            }
        }
        return gradInput
    }

    public override var description: String { "\(typeName)(\(index))" }
}
