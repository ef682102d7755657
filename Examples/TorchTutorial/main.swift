// The Torch tutorial's first network, written with TorchNN as a library: README.md shows this file.
import TorchNN

var rng = RandomGenerator(seed: 1)
// mlp = nn.Sequential(); mlp:add(nn.Linear(100, 10)); mlp:add(nn.Sigmoid()); …
let mlp = Sequential()
    .add(Linear(100, 10, rng: &rng))
    .add(Sigmoid())
    .add(Linear(10, 2, rng: &rng))
    .add(Sigmoid())
let criterion = MSECriterion()

let input = Tensor(Shape(100))
for i in 0..<input.count {
    input.data[i] = rng.uniform(-1, 1)
}
let target = Tensor(Shape(2), values: [1, 0])

// The tutorial's loop: forward, criterion, zeroGradParameters, backward, updateParameters.
for step in 1...50 {
    let output = mlp.forward(input)
    let loss = criterion.forward(output, target)
    mlp.zeroGradParameters()
    mlp.backward(input, criterion.backward(output, target))
    mlp.updateParameters(0.5)
    if step % 10 == 0 {
        print("step \(step): loss \(loss)")
    }
}

// The same with torch/optim: one flat parameter vector, and sgd with momentum over it.
let (params, grads) = mlp.getParameters()
let sgd = SGD(learningRate: 0.1, momentum: 0.9)
for _ in 1...20 {
    sgd.step(params) { _ in
        grads.zero()
        let output = mlp.forward(input)
        let loss = criterion.forward(output, target)
        mlp.backward(input, criterion.backward(output, target))
        return (loss, grads)
    }
}
print("after sgd: output \(mlp.forward(input).array)")
