// TokenWindows.swift — nanoGPT's batches from a packed token stream: random windows of `length` tokens for training
// and the loss estimate (RandomWindowLoader: the same starts as torch.randint for the same generator state), and
// consecutive windows for a full pass (EvaluationBatches). Targets are the inputs shifted by one; none is masked.
import Torch

public struct TokenWindows: BatchSource, Sendable {
    public let tokens: any TokenSource
    /// T: tokens per window.
    public let length: Int

    public init(_ tokens: any TokenSource, length: Int) {
        self.tokens = tokens
        self.length = length
    }

    public var tokenCount: Int { tokens.count }
    public var exampleCount: Int { Swift.max(0, (tokens.count - 1) / Swift.max(length, 1)) }

    public func randomBatch(size: Int, generator: Generator, device: Device, rank: Int, ranks: Int) -> Batch {
        do {
            let (x, y) = try RandomWindowLoader(tokens).batch(size, length, generator: generator, device: device,
                                                              rank: rank, ranks: ranks)
            return Batch(inputs: x, targets: y, knownTargetCount: size * length)
        } catch { preconditionFailure("\(error)") }   // problem(split:) is checked before any batch is drawn
    }

    public func evaluationBatches(size: Int, device: Device, rank: Int, ranks: Int) -> AnySequence<Batch> {
        do {
            let pass = try EvaluationBatches(tokens, batchSize: size, blockSize: length, rank: rank, worldSize: ranks,
                                             device: device)
            return AnySequence(pass.lazy.map { Batch(inputs: $0.x, targets: $0.y, knownTargetCount: $0.x.count) })
        } catch { preconditionFailure("\(error)") }
    }

    public func problem(split: String) -> String? {
        tokens.count > length ? nil
            : "the \(split) split has \(tokens.count) tokens, not more than the window of \(length) (context_length); use more data or a smaller context_length"
    }
}
