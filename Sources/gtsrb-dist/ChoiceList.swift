import ArgumentParser

/// A comma-separated list of named choices on the command line (`--model vgg_small,convnet`): with
/// `--ensemble` the list cycles over the members; `--help` lists the names.
struct ChoiceList<Choice: RawRepresentable & CaseIterable>: ExpressibleByArgument
where Choice.RawValue == String {
    let values: [Choice]

    init(_ values: [Choice]) {
        self.values = values
    }

    init?(argument: String) {
        var values: [Choice] = []
        for name in argument.split(separator: ",") {
            guard let value = Choice(rawValue: name.trimmingCharacters(in: .whitespaces)) else {
                return nil
            }
            values.append(value)
        }
        guard !values.isEmpty else {
            return nil
        }
        self.values = values
    }

    var defaultValueDescription: String { values.map(\.rawValue).joined(separator: ",") }

    static var allValueStrings: [String] { Choice.allCases.map(\.rawValue) }
}
