/// `nn.Container`: the modules a container holds, in order; their parameters, buffers and initialisation in
/// that order (`getParameters` lays the flat vector out so). `Sequential`, `ConcatTable` and `ParallelTable` are
/// containers.
open class Container: Module {
    public internal(set) var modules: [Module]

    public init(_ modules: [Module] = []) {
        self.modules = modules
        super.init()
    }

    @discardableResult
    public func add(_ module: Module) -> Self {
        modules.append(module)
        return self
    }
    public func get(_ index: Int) -> Module { modules[index] }
    public var size: Int { modules.count }
    public override var children: [Module] { modules }

    public override func parameters() -> (params: [Tensor], grads: [Tensor]) {
        var ps: [Tensor] = []
        var gs: [Tensor] = []
        for m in modules {
            let (p, g) = m.parameters()
            ps += p
            gs += g
        }
        return (ps, gs)
    }
    public override func buffers() -> [Tensor] { modules.flatMap { $0.buffers() } }
    public override func reset(_ rng: inout RandomGenerator) { for m in modules { m.reset(&rng) } }

    public override func accGradParameters(_ input: Tensor, _ gradOutput: Tensor, scale: Float) {
        accGradParameters(input, gradOutput, scale: scale) { _ in }
    }
}
