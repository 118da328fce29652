// FixedBatch.swift — a split that is one batch: every example at every step (full-batch training, as the grokking
// study trains on all of its (a, b) pairs at once). A random batch and a full pass are both the whole split.
import Torch

public struct FixedBatch: BatchSource {
    /// (N, T) int64.
    public let inputs: Tensor
    /// (N, T') int64, -1 where no loss falls.
    public let targets: Tensor

    public init(inputs: Tensor, targets: Tensor) {
        self.inputs = inputs
        self.targets = targets
    }

    public var tokenCount: Int { inputs.count }
    public var exampleCount: Int { inputs.size(0) }

    /// The whole split (`size` and the generator are not used: nothing is drawn). Data parallel: each rank takes its
    /// contiguous share of the examples.
    public func randomBatch(size: Int, generator: Generator, device: Device, rank: Int, ranks: Int) -> Batch {
        share(device: device, rank: rank, ranks: ranks)
    }

    public func evaluationBatches(size: Int, device: Device, rank: Int, ranks: Int) -> AnySequence<Batch> {
        AnySequence([share(device: device, rank: rank, ranks: ranks)])
    }

    func share(device: Device, rank: Int, ranks: Int) -> Batch {
        var x = inputs, y = targets
        if ranks > 1 {
            let n = inputs.size(0), per = (n + ranks - 1) / ranks
            let start = Swift.min(rank * per, n), length = Swift.min(per, n - start)
            x = x.narrow(dim: 0, start: start, length: length)
            y = y.narrow(dim: 0, start: start, length: length)
        }
        if device != .cpu { x = x.to(device); y = y.to(device) }
        return Batch(inputs: x, targets: y)
    }

    public func problem(split: String) -> String? {
        inputs.size(0) > 0 ? nil : "the \(split) split has no examples"
    }
}
