// Batch.swift — what one training or evaluation step works on, whatever made it: a window of a token stream, a
// padded document, a conversation with its loss mask, the grokking study's whole training set.
import Torch

/// Inputs and targets of one step (int64 on the step's device). A target of -1 takes no loss: that is the loss mask
/// (padding, prompt tokens), the same convention as PyTorch's `ignore_index = -1`.
public struct Batch {
    /// (B, T) token ids.
    public var inputs: Tensor
    /// (B, T') token ids the model should predict, aligned with its logits (T' = T for a language model's every
    /// position, T' = 1 for a model that answers once); -1 where the loss does not fall.
    public var targets: Tensor
    /// Tensors a source adds beside inputs and targets (by name), for objectives that need more than one sequence.
    public var extras: [String: Tensor]
    /// How many targets are not -1, when the source knows it without reading the tensor (nil: count them).
    public var knownTargetCount: Int?

    public init(inputs: Tensor, targets: Tensor, extras: [String: Tensor] = [:], knownTargetCount: Int? = nil) {
        self.inputs = inputs
        self.targets = targets
        self.extras = extras
        self.knownTargetCount = knownTargetCount
    }

    /// Targets that take a loss (a host read unless the source knew it).
    public var targetCount: Int { knownTargetCount ?? (targets .!= -1).sum(dtype: .int64).itemInt() }
}
