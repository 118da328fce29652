// BatchSource.swift — the one protocol for what a step trains on. A run has a train source and a val source
// (TrainValSplit.swift gives the rule that cuts them); the trainer draws random batches from the train source, its
// loss estimate random batches from both, and a full pass visits every example of val once.
//
// Sources now: TokenWindows (nanoGPT's windows of a packed stream: text, jsonl documents, llm.c shards),
// PaddedDocumentRows (MiniMind's one padded row per document), FixedBatch (every example in one batch: the grokking
// study's full-batch training), SequentialChunks (parallel generated streams fed chunk after chunk, in order: the
// CortexGPT recall study, whose memory carries across batches).
import Torch

public protocol BatchSource {
    /// Tokens the split holds (padded rows: rows × row length, padding included), for the run's first log line.
    var tokenCount: Int { get }
    /// Examples a full pass visits (windows, rows, examples).
    var exampleCount: Int { get }
    /// `size` examples drawn at random with `generator` (one draw per batch). Data parallel: the draw covers all
    /// `ranks` × size examples and rank `rank` keeps rows rank·size ..< (rank + 1)·size, so W ranks × B see exactly
    /// one process's W·B.
    func randomBatch(size: Int, generator: Generator, device: Device, rank: Int, ranks: Int) -> Batch
    /// Every example once, in order, `size` per batch (the last may be smaller); the batches i with
    /// i % ranks == rank, so the ranks together cover the pass once. Lazy: a batch is made when it is reached.
    func evaluationBatches(size: Int, device: Device, rank: Int, ranks: Int) -> AnySequence<Batch>
    /// Why this split cannot feed a run (too short for one example), naming it as `split`; nil when it can.
    func problem(split: String) -> String?
    /// What the run's first lines should say about the split (rows cut to fit, …); nil: nothing.
    var note: String? { get }
}

extension BatchSource {
    public var note: String? { nil }

    public func randomBatch(size: Int, generator: Generator, device: Device = .cpu) -> Batch {
        randomBatch(size: size, generator: generator, device: device, rank: 0, ranks: 1)
    }

    /// The target-weighted sum of `loss` over a full pass and the number of targets (the mean is sum / count),
    /// without autograd. Data parallel: over this rank's batches; the ranks' sums add up to one process's pass.
    public func fullPassSums(batchSize: Int, device: Device = .cpu, rank: Int = 0, ranks: Int = 1,
                             _ loss: (Batch) -> Tensor) -> (total: Double, targets: Double) {
        withNoGrad {
            var total = 0.0, targets = 0
            for batch in evaluationBatches(size: batchSize, device: device, rank: rank, ranks: ranks) {
                let counted = batch.targetCount
                guard counted > 0 else { continue }
                total += loss(batch).item() * Double(counted)
                targets += counted
            }
            return (total, Double(targets))
        }
    }

    /// The mean of `loss` over a full pass, weighted by targets.
    public func fullPassLoss(batchSize: Int, device: Device = .cpu, _ loss: (Batch) -> Tensor) -> Double {
        let sums = fullPassSums(batchSize: batchSize, device: device, loss)
        return sums.total / Swift.max(sums.targets, 1)
    }
}
