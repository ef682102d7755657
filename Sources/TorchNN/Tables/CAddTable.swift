/// `nn.CAddTable`: the element-wise sum of a table of same-sized tensors, {x1, x2, …} → x1 + x2 + …; each input's
/// gradient is gradOutput (copied into gradInput's table).
public final class CAddTable: Module {
    public override func updateOutput(_ input: Tensor) -> Tensor {
        let x = input.elements(for: self)
        precondition(!x.isEmpty, "\(typeName): the input table is empty")
        output.resize(x[0].shape)
        output.copy(from: x[0])
        for t in x.dropFirst() {
            precondition(t.shape == x[0].shape, "\(typeName): inputs of sizes \(x[0].shape) and \(t.shape)")
            output.add(t)
        }
        return output
    }

    public override func updateGradInput(_ input: Tensor, _ gradOutput: Tensor) -> Tensor {
        let x = input.elements(for: self)
        gradInput.makeTable(count: x.count)
        for g in gradInput.table! { g.copyStructure(from: gradOutput) }
        return gradInput
    }
}
