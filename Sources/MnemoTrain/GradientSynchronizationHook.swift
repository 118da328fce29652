// GradientSynchronizationHook.swift — data parallel's one step: after the last micro-batch's backward, every
// parameter's gradient becomes its mean over the ranks (DDP's all-reduce), before ⊥Grad, clipping and the
// optimizer, so they all see the global gradient. Once per optimizer step, not per micro-batch: accumulation stays
// local. Bucketed (ProcessGroup.allReduceMean): a handful of all-reduces per step, not one per tensor.
//
// Every rank must hand the same list in the same order: a parameter that got no gradient on this rank (a MoE
// expert no token chose here) gets a zero gradient first, so a rank's unused parameter cannot desynchronise the
// lists (DDP's find_unused_parameters, without the search).
import Foundation
import Torch

public final class GradientSynchronizationHook: TrainingHook {
    public let group: ProcessGroup
    public var name: String { "gradient all-reduce (\(group.worldSize) ranks)" }
    public var stage: HookStage { .synchronizeGradients }

    public init(group: ProcessGroup) { self.group = group }

    public func afterBackward(_ context: StepContext) throws {
        let parameters = context.optimizer.allParameters
        for p in parameters where p.grad == nil { p.grad = Tensor.zeros(like: p) }
        try group.allReduceMean(parameters.map { $0.grad! })
    }
}
