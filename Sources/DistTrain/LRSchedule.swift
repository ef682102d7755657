/// How the learning rate changes over a run (`--lr-schedule`).
public enum LRSchedule: String, CaseIterable, Codable, Sendable {
    /// lr × lrGamma every lrStep epochs (the seed's, with lrStep 20: constant over the default run).
    case step
    /// Half a cosine from lr to 0 over the run, updated every step.
    case cosine
}
