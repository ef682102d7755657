import ArgumentParser
import DistTrain
import GTSRBData
import TorchNN

// The library's choices as command-line values: `--help` lists them and a wrong name is a parse error.
extension ModelName: ExpressibleByArgument {}
extension OptimizerName: ExpressibleByArgument {}
extension Augmentation: ExpressibleByArgument {}
extension Preprocessing: ExpressibleByArgument {}
extension Crop: ExpressibleByArgument {}
extension LRSchedule: ExpressibleByArgument {}
extension Recipe: ExpressibleByArgument {}
extension GradientPrecision: ExpressibleByArgument {}
extension DistTrain.Progress.Style: ExpressibleByArgument {}
