/// `nn.ConcatTable`: applies every module to the same input (a tensor or a table) and outputs the table of their
/// outputs, {m1(x), m2(x), …}. gradInput is the sum of the branches' gradInputs (the input is shared); gradOutput is
/// a table with one element per branch. Parameter gradients are accumulated from the last branch to the first, so
/// the flat gradient vector still fills from its end (`accGradParameters(done:)`).
public final class ConcatTable: Container {
    public override func updateOutput(_ input: Tensor) -> Tensor {
        output.makeTable(count: modules.count)
        for (i, m) in modules.enumerated() {
            output.table![i] = m.updateOutput(input)
        }
        return output
    }

    public override func updateGradInput(_ input: Tensor, _ gradOutput: Tensor) -> Tensor {
        let g = gradOutput.elements(for: self)
        precondition(g.count == modules.count, "\(typeName): gradOutput has \(g.count) elements for \(modules.count)")
        for (i, m) in modules.enumerated() {
            let branch = m.updateGradInput(input, g[i])
            if i == 0 {
                gradInput.copyStructure(from: branch)
            } else {
                gradInput.add(branch)
            }
        }
        return gradInput
    }

    public override func accGradParameters(_ input: Tensor, _ gradOutput: Tensor, scale: Float, done: (Module) -> Void)
    {
        let g = gradOutput.elements(for: self)
        for i in stride(from: modules.count - 1, through: 0, by: -1) {
            modules[i].accGradParameters(input, g[i], scale: scale, done: done)
        }
    }

    public override var description: String { ConcatTable.describe(typeName, modules) }

    /// Torch's drawing of a container whose branches all lead from the input to the output.
    static func describe(_ name: String, _ modules: [Module]) -> String {
        var s = name + " {\n  input"
        for (i, m) in modules.enumerated() {
            let last = i == modules.count - 1
            let inner = m.description.replacingOccurrences(of: "\n", with: last ? "\n         " : "\n    |    ")
            s += (last ? "\n     `-> " : "\n    |`-> ") + "(\(i + 1)): " + inner
        }
        return s + "\n     ... -> output\n}"
    }
}
