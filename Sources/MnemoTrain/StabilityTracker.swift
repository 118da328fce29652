// StabilityTracker.swift — the stability metrics of every run (OscillationStatistics.swift defines them): the raw
// batch loss of every optimizer step, the loss of one fixed held-out batch every `stability_interval` steps (in eval
// mode, on the weights evaluation uses: the EMA's when there is one), spikes as events, and each clipping group's
// gradient norm. At every evaluation the trainer logs
//   osc_raw_p50 / _p95 / _max      R_W of the batch losses (W = stability_window steps, windows after warm-up)
//   osc_fixed_p50 / _p95 / _max    R_W of the fixed batch's losses
//   rebound_raw, rebound_fixed     max_t L_t / min_{s ≤ t} L_s after warm-up
//   spikes                         steps with L_t > 3 × mean of the previous 10 so far (each is also its own line,
//                                  {"step": t, "spike_loss": L, "spike_ratio": L / mean})
//   grad_norm_p90/GROUP            p90 of each clipping group's pre-clip gradient norm after warm-up
// Its history is part of each checkpoint (state.json), so a resumed run reports what an uninterrupted one would.
// StabilityHook runs it in every training run.
import Foundation
import MnemoData
import MnemoReport
import Torch

public struct StabilityState: Codable, Sendable, Equatable {
    public var trainLoss: [Double] = []          // index = step
    public var heldOutStep: [Int] = []
    public var heldOutLoss: [Double] = []
    public var spikeSteps: [Int] = []
    public var groupNorms: [String: [Double]] = [:]   // index = step
    public init() {}
}

public final class StabilityTracker {
    public internal(set) var state: StabilityState
    let window: Int
    let warmup: Int

    public init(window: Int, warmup: Int, state: StabilityState = StabilityState()) {
        self.window = window
        self.warmup = warmup
        self.state = state
    }

    /// Keeps the history up to a checkpoint at `step` only: batch losses of the steps before it, held-out losses up
    /// to it (the checkpoint is written after step `step`'s held-out evaluation).
    public func truncate(before step: Int) {
        state.trainLoss = Array(state.trainLoss.prefix(step))
        let kept = state.heldOutStep.filter { $0 <= step }.count
        state.heldOutStep = Array(state.heldOutStep.prefix(kept))
        state.heldOutLoss = Array(state.heldOutLoss.prefix(kept))
        state.spikeSteps = state.spikeSteps.filter { $0 < step }
        state.groupNorms = state.groupNorms.mapValues { Array($0.prefix(step)) }
    }

    /// Records step `step`'s batch loss and gradient norms; returns the spike ratio when the loss is a spike.
    @discardableResult
    public func record(step: Int, loss: Double, groupNorms: [String: Double]) -> Double? {
        let previous = state.trainLoss.suffix(10)
        let spike = OscillationStatistics.isSpike(loss, previous: previous)
        state.trainLoss.append(loss)
        for (group, norm) in groupNorms { state.groupNorms[group, default: []].append(norm) }
        guard spike else { return nil }
        state.spikeSteps.append(step)
        return loss / (previous.reduce(0, +) / Double(previous.count))
    }

    public func recordHeldOut(step: Int, loss: Double) {
        state.heldOutStep.append(step)
        state.heldOutLoss.append(loss)
    }

    /// The metrics of the history so far (keys in the file header); series too short for a window are left out.
    public func metrics() -> [String: Double] {
        var out: [String: Double] = ["spikes": Double(state.spikeSteps.count)]
        let raw = state.trainLoss.enumerated().map { (step: $0.offset, loss: $0.element) }
        let fixed = zip(state.heldOutStep, state.heldOutLoss).map { (step: $0.0, loss: $0.1) }
        for (name, series) in [("raw", raw), ("fixed", fixed)] {
            if let r = OscillationStatistics.windowedRatio(series, window: window, from: warmup) {
                out["osc_\(name)_p50"] = r.median
                out["osc_\(name)_p95"] = r.p95
                out["osc_\(name)_max"] = r.max
            }
            if let r = OscillationStatistics.rebound(series, from: warmup) { out["rebound_\(name)"] = r }
        }
        for (group, norms) in state.groupNorms {
            let after = Array(norms.dropFirst(warmup)).filter(\.isFinite)
            if !after.isEmpty { out["grad_norm_p90/\(group)"] = OscillationStatistics.percentile(after, 0.9) }
        }
        return out
    }
}

/// The stability metrics as the trainer's hook: the held-out loss at the start of every `interval`-th step (before
/// that step's evaluation; not at the last step, and not again at the step a resumed run starts from, whose
/// checkpoint holds it), each step's loss and clipping-group norms after the optimizer step (a spike is its own line
/// and a log line), and the metrics at every evaluation.
public final class StabilityHook: CheckpointedHook {
    public let name = "stability"
    public let tracker: StabilityTracker
    let interval: Int
    let lastStep: Int
    let heldOutSource: any BatchSource
    let heldOutSize: Int
    var resumedAt = 0
    /// The fixed held-out batch: drawn once (a generator of its own), on the device, this rank's share.
    var heldOutBatch: Batch?

    public init(window: Int, warmup: Int, interval: Int, lastStep: Int, val: any BatchSource, batchSize: Int) {
        tracker = StabilityTracker(window: window, warmup: warmup)
        self.interval = interval
        self.lastStep = lastStep
        heldOutSource = val
        heldOutSize = batchSize
    }

    public func atStepStart(_ context: StepContext) throws {
        let step = context.step
        guard interval > 0 && step % interval == 0 && step < lastStep && !(step == resumedAt && step > 0) else { return }
        let batch = heldOutBatch ?? heldOutSource.randomBatch(size: heldOutSize, generator: Generator(seed: 20_251_126),
                                                               device: context.device, rank: context.rank, ranks: context.ranks)
        heldOutBatch = batch
        let loss = try context.evaluate(batch)
        tracker.recordHeldOut(step: step, loss: loss)
        context.metrics.record("stability_loss", loss)
    }

    public func afterOptimizerStep(_ context: StepContext) {
        guard let loss = context.loss else { return }
        if let ratio = tracker.record(step: context.step, loss: loss, groupNorms: context.gradientNorms) {
            context.metrics.record("spike_loss", loss)
            context.metrics.record("spike_ratio", ratio)
            context.say(String(format: "iter %d: loss spike %.4f (%.1f× the mean of the previous 10)", context.step, loss, ratio))
        }
    }

    public func atEvaluation(_ context: StepContext) -> [String: Double] { tracker.metrics() }

    public func checkpoint(_ state: inout CheckpointState) -> [String: [String: Tensor]] {
        state.stability = tracker.state
        return [:]
    }

    public func restore(folder: String, state: CheckpointState, device: Device) throws {
        tracker.state = state.stability ?? StabilityState()
        tracker.truncate(before: state.step)
        resumedAt = state.step
    }
}
