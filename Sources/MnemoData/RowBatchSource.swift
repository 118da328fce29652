// RowBatchSource.swift — what the sources made of fixed rows share (padded documents, chat rows, preference pairs):
// given how to build the batch of some examples, a random batch is B examples from one randint draw over all ranks'
// examples (this rank keeps rows rank·B ..< (rank+1)·B), and a full pass is every example once in order, B at a time,
// the batches i with i % ranks == rank.
import Torch

public protocol RowBatchSource: BatchSource {
    /// The batch of examples `indices` on `device`.
    func batch(_ indices: [Int], device: Device) -> Batch
}

extension RowBatchSource {
    public func randomBatch(size: Int, generator: Generator, device: Device, rank: Int, ranks: Int) -> Batch {
        let picks = Tensor.randint(0, exampleCount, [size * ranks], generator: generator).toArray(Int64.self)
            .map { Int($0) }[(rank * size)..<((rank + 1) * size)]
        return batch(Array(picks), device: device)
    }

    public func evaluationBatches(size: Int, device: Device, rank: Int, ranks: Int) -> AnySequence<Batch> {
        let n = exampleCount
        let starts = stride(from: 0, to: n, by: size).enumerated().filter { $0.offset % ranks == rank }.map(\.element)
        return AnySequence(starts.lazy.map { batch(Array($0..<Swift.min($0 + size, n)), device: device) })
    }
}
