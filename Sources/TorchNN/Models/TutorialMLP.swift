/// The Torch tutorial's MLP: Linear(100,10) → Sigmoid → Linear(10,2) → Sigmoid, trained with MSECriterion.
public enum TutorialMLP {
    public static func make(rng: inout RandomGenerator) -> Sequential {
        Sequential()
            .add(Linear(100, 10, rng: &rng))
            .add(Sigmoid())
            .add(Linear(10, 2, rng: &rng))
            .add(Sigmoid())
    }
}
