/// `nn.ParallelTable`: applies the i-th module to the i-th element of a table input and outputs the table of their
/// outputs, {m1(x1), m2(x2), …}; gradInput is the table of the branches' gradInputs. Parameter gradients are
/// accumulated from the last branch to the first (as `ConcatTable`).
public final class ParallelTable: Container {
    public override func updateOutput(_ input: Tensor) -> Tensor {
        let x = input.elements(for: self)
        precondition(x.count >= modules.count, "\(typeName): \(x.count) inputs for \(modules.count) modules")
        output.makeTable(count: modules.count)
        for (i, m) in modules.enumerated() {
            output.table![i] = m.updateOutput(x[i])
        }
        return output
    }

    public override func updateGradInput(_ input: Tensor, _ gradOutput: Tensor) -> Tensor {
        let x = input.elements(for: self)
        let g = gradOutput.elements(for: self)
        gradInput.makeTable(count: modules.count)
        for (i, m) in modules.enumerated() {
            gradInput.table![i] = m.updateGradInput(x[i], g[i])
        }
        return gradInput
    }

    public override func accGradParameters(_ input: Tensor, _ gradOutput: Tensor, scale: Float, done: (Module) -> Void)
    {
        let x = input.elements(for: self)
        let g = gradOutput.elements(for: self)
        for i in stride(from: modules.count - 1, through: 0, by: -1) {
            modules[i].accGradParameters(x[i], g[i], scale: scale, done: done)
        }
    }

    public override var description: String { ConcatTable.describe(typeName, modules) }
}
