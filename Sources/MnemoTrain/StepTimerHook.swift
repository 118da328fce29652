// StepTimerHook.swift — wall time of each optimizer step (its batches, forward, backward, hooks and update), with
// evaluations left out: the clock starts at the step's start and again after an evaluation's hooks, and stops after
// the optimizer step. The first `warmup` steps are not kept (allocations, caches).
import Foundation

public final class StepTimerHook: TrainingHook {
    public let name = "step_timer"
    let warmup: Int
    var started = Date()
    /// Seconds of each timed step, in order.
    public private(set) var seconds: [Double] = []

    public init(warmup: Int) { self.warmup = warmup }

    /// The mean seconds per step, nil before any step was timed.
    public var meanSeconds: Double? { seconds.isEmpty ? nil : seconds.reduce(0, +) / Double(seconds.count) }

    public func atStepStart(_ context: StepContext) { started = Date() }

    public func atEvaluation(_ context: StepContext) -> [String: Double] {
        started = Date()
        return [:]
    }

    public func afterOptimizerStep(_ context: StepContext) {
        if context.step >= warmup { seconds.append(Date().timeIntervalSince(started)) }
    }
}
