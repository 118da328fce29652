// RecallScore.swift — the associative-recall task's score over a pass (RecallStream, SequentialChunks): the mean loss
// over every target, the mean loss at the queries' value tokens, and exact-answer accuracy at those positions (the
// argmax over the whole vocabulary must be the value), split by whether the fact's value token lies within `window`
// positions before the query's `?` (a CortexGPT STM of that many slots can reach it: "near") or further back ("far").
// Targets are marked by their gap (> 0) in the batch's RecallStream.gapKey extras; 0 marks every other target.
import Torch

public struct RecallScore: Sendable, Equatable {
    public var lossSum = 0.0, targetCount = 0
    public var queryLossSum = 0.0
    public var nearCorrect = 0, near = 0
    public var farCorrect = 0, far = 0

    public init() {}

    /// Adds one batch: logits (B, T, V), targets and gaps (B, T) int64.
    public mutating func add(logits: Tensor, targets: Tensor, gaps: Tensor, window: Int) {
        withNoGrad {
            let losses = -logits.float().logSoftmax(dim: -1).gather(dim: -1, index: targets.unsqueeze(-1)).squeeze(-1)  // (B, T)
            let correct = (logits.argmax(dim: -1) .== targets)
            let query = gaps .> 0
            let nearMask = query && (gaps .<= window), farMask = gaps .> window
            func count(_ mask: Tensor) -> Int { mask.sum(dtype: .int64).itemInt() }
            lossSum += losses.sum().double().item()
            targetCount += targets.count
            queryLossSum += (losses * query.float()).sum().double().item()
            nearCorrect += count(correct && nearMask)
            near += count(nearMask)
            farCorrect += count(correct && farMask)
            far += count(farMask)
        }
    }

    public var loss: Double { lossSum / Double(Swift.max(targetCount, 1)) }
    public var queries: Int { near + far }
    public var queryLoss: Double? { queries > 0 ? queryLossSum / Double(queries) : nil }
    public var nearAccuracy: Double? { near > 0 ? Double(nearCorrect) / Double(near) : nil }
    public var farAccuracy: Double? { far > 0 ? Double(farCorrect) / Double(far) : nil }
}
