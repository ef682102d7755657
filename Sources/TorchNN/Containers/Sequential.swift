import Foundation

/// `nn.Sequential`: modules applied in order; backward runs the chain rule in reverse,
/// handing each module the input it saw in the forward pass.
public final class Sequential: Container {
    private func inputOf(_ i: Int, _ input: Tensor) -> Tensor { i == 0 ? input : modules[i - 1].output }

    public override func updateOutput(_ input: Tensor) -> Tensor {
        var current = input
        for m in modules { current = m.updateOutput(current) }
        output = current
        return output
    }

    public override func updateGradInput(_ input: Tensor, _ gradOutput: Tensor) -> Tensor {
        var g = gradOutput
        for i in stride(from: modules.count - 1, through: 0, by: -1) {
            g = modules[i].updateGradInput(inputOf(i, input), g)
        }
        gradInput = g
        return gradInput
    }

    public override func accGradParameters(_ input: Tensor, _ gradOutput: Tensor, scale: Float, done: (Module) -> Void)
    {
        var g = gradOutput
        for i in stride(from: modules.count - 1, through: 0, by: -1) {
            modules[i].accGradParameters(inputOf(i, input), g, scale: scale, done: done)
            g = modules[i].gradInput
        }
    }

    public override var description: String {
        let arrows = (1...max(1, modules.count)).map { "(\($0))" }.joined(separator: " -> ")
        var s = "nn.Sequential {\n  [input -> \(arrows) -> output]"
        for (i, m) in modules.enumerated() {
            let inner = m.description.replacingOccurrences(of: "\n", with: "\n  ")
            s += "\n  (\(i + 1)): \(inner)"
        }
        return s + "\n}"
    }
}

extension Module {
    /// This module's chain in forward order with every Sequential opened (itself when it is not a Sequential).
    public var sequenceLeaves: [Module] { (self as? Sequential)?.modules.flatMap(\.sequenceLeaves) ?? [self] }
}
