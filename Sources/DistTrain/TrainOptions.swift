import Foundation

/// What a training run reads and writes besides its configuration: where to resume from, the files it
/// reports to, and what rank 0 shows.
public struct TrainOptions {
    /// Where the run's parameters come from before the first step.
    public enum Start: Equatable {
        /// The model's seeded initialisation.
        case fresh
        /// The newest valid checkpoint in the save folder (`--resume-latest`).
        case latest
        /// That checkpoint (`--resume PATH`).
        case checkpoint(String)
    }

    public var start = Start.fresh
    /// Weights to start from (.safetensors), before the broadcast from rank 0; ignored when resuming.
    public var initFrom: String?
    public var cacheDir = ".gtsrb-cache"
    /// Seconds a step's collectives may wait before the run is declared broken (`Communicator.timeout`; nil: no
    /// deadline).
    public var commTimeout: Double? = 60
    /// The JSON report written at the end.
    public var report: String?
    /// Per-image predictions (GTSRB CSV form) written at the end.
    public var predictions: String?
    /// The metrics file (nil: `<save>/metrics.jsonl`).
    public var metrics: String?
    /// Minutes between mid-epoch checkpoints (`--checkpoint-minutes`; 0: none).
    public var checkpointMinutes = 0.0
    /// Mid-epoch checkpoints kept, the newest.
    public var keepStepCheckpoints = 2
    /// Put before every line rank 0 prints (ensemble members say which they are).
    public var logPrefix = ""
    /// The per-step progress display.
    public var progress = Progress.Style.auto
    /// Print the confusion matrix at the end.
    public var printConfusion = true
    /// Write curves.png, confusion.png and mistakes.png into the save folder at the end.
    public var writePlots = true

    public init() {}
}
