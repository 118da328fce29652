// ProfileHook.swift — `hooks = ["profile:20-30"]`: libtorch's profiler (torch.profiler.profile) records steps 20 to 29,
// everything from the start of step 20 (its evaluation if one is due, the forward, backward, clipping, optimizer and
// the training line) to the start of step 30, and writes RUN/profile_20-30.json, a Chrome trace with every ATen op and
// autograd node and their input shapes (open it in chrome://tracing or https://ui.perfetto.dev). A run that ends first
// writes the trace at its last step. Under data parallel only rank 0 profiles. Profiling slows the steps it records.
import Foundation
import MnemoSupport
import Torch

public final class ProfileHook: TrainingHook {
    public let name = "profile"
    let first: Int
    let end: Int            // exclusive
    let lastStep: Int
    let tracePath: String
    var recording = false

    /// `steps` is "START-END" (0 ≤ START < END); the trace goes into the run's folder.
    public init(steps: String, run: HookInputs) throws {
        let bounds = steps.split(separator: "-", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard bounds.count == 2, let first = bounds[0], let end = bounds[1], first >= 0, end > first else {
            throw ConfigError("hooks: profile:\(steps): give the steps as START-END with 0 ≤ START < END, e.g. profile:20-30")
        }
        guard let folder = run.folder else { throw ConfigError("hooks: profile needs a run folder to write its trace into") }
        self.first = first
        self.end = end
        lastStep = run.config.maxIters - 1
        tracePath = "\(folder.path)/profile_\(first)-\(end).json"
    }

    public func atStepStart(_ context: StepContext) throws {
        guard context.rank == 0 else { return }
        if context.step == first && !recording {
            try Profiler.start()
            recording = true
        } else if context.step == end && recording {
            try finish(context)
        }
    }

    public func afterOptimizerStep(_ context: StepContext) throws {
        if recording && context.step >= lastStep { try finish(context) }
    }

    func finish(_ context: StepContext) throws {
        recording = false
        try Profiler.stop(writingTo: tracePath)
        context.say("profile: steps \(first)..<\(min(end, context.step + 1)) written to \(tracePath)")
    }
}
