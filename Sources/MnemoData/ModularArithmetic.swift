// ModularArithmetic.swift — the grokking task: every pair (a, b) in 0..<p × 0..<p labelled (a ∘ b) mod p for
// ∘ ∈ {+, −, ·}, split at random (seeded) into train and test sets. Inputs come as one-hot pairs (N, 2p) for the MLP
// or as token pairs (N, 2) for the transformer. Pairs are numbered a·p + b.
import Foundation
import Torch

public enum ModularOperation: String, Codable, Sendable, CaseIterable {
    case add, subtract, multiply

    public var symbol: String {
        switch self {
        case .add: "+"
        case .subtract: "−"
        case .multiply: "·"
        }
    }

    /// (a ∘ b) mod p, in 0..<p.
    public func apply(_ a: Int, _ b: Int, modulo p: Int) -> Int {
        let value: Int
        switch self {
        case .add: value = a + b
        case .subtract: value = a - b
        case .multiply: value = a * b
        }
        return ((value % p) + p) % p
    }
}

public struct ModularArithmetic {
    public let p: Int
    public let operation: ModularOperation
    public let trainFraction: Double
    /// Every pair's operands and label, in pair order (a·p + b): (p², ) int64 each.
    public let a: Tensor, b: Tensor, labels: Tensor
    /// Pair numbers of the train and test sets ((⌊fraction·p²⌋) and the rest), int64.
    public let trainIndices: Tensor, testIndices: Tensor

    /// - seed: the split's own generator (the model's initialisation uses another).
    public init(p: Int = 113, operation: ModularOperation = .add, trainFraction: Double, seed: UInt64) {
        precondition(p >= 2, "ModularArithmetic: p must be at least 2, got \(p)")
        precondition(trainFraction > 0 && trainFraction < 1, "ModularArithmetic: trainFraction must be in (0, 1), got \(trainFraction)")
        self.p = p
        self.operation = operation
        self.trainFraction = trainFraction
        var aValues: [Int64] = [], bValues: [Int64] = [], labelValues: [Int64] = []
        aValues.reserveCapacity(p * p)
        for x in 0..<p {
            for y in 0..<p {
                aValues.append(Int64(x))
                bValues.append(Int64(y))
                labelValues.append(Int64(operation.apply(x, y, modulo: p)))
            }
        }
        a = Tensor(aValues)
        b = Tensor(bValues)
        labels = Tensor(labelValues)
        let order = Tensor.randperm(p * p, generator: Generator(seed: seed))
        let trainCount = Int(trainFraction * Double(p * p))
        trainIndices = order[0..<trainCount]
        testIndices = order[trainCount...]
    }

    public var count: Int { p * p }

    /// Concatenated one-hot encodings of a and b for the given pairs: (N, 2p) float32.
    public func oneHotPairs(_ indices: Tensor) -> Tensor {
        let left = a.indexSelect(dim: 0, index: indices).oneHot(numClasses: p)
        let right = b.indexSelect(dim: 0, index: indices).oneHot(numClasses: p)
        return cat([left, right], dim: 1).float()
    }

    /// Token pairs [a, b] for the given pairs: (N, 2) int64.
    public func tokenPairs(_ indices: Tensor) -> Tensor {
        stack([a.indexSelect(dim: 0, index: indices), b.indexSelect(dim: 0, index: indices)], dim: 1)
    }

    /// Labels of the given pairs: (N) int64.
    public func labels(_ indices: Tensor) -> Tensor { labels.indexSelect(dim: 0, index: indices) }
}

/// The task as a run's data: `data = "modular:OP:P"` (OP add, subtract or multiply; e.g. "modular:add:113"), each pair
/// the tokens [a, b] with the target (a ∘ b) mod p at the one position the model answers; the first
/// ⌊p²·(1 − val_fraction)⌋ pairs of the seeded permutation train (TrainValSplit's rule), the rest are the test set.
extension ModularArithmetic {
    public static let specUsage = "modular:OP:P with OP add, subtract or multiply and P ≥ 2 (e.g. modular:add:113)"

    /// The operation and modulus of a "modular:OP:P" spec; nil when `text` is not one.
    public static func parse(spec text: String) -> (operation: ModularOperation, p: Int)? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, parts[0] == "modular", let operation = ModularOperation(rawValue: parts[1]),
              let p = Int(parts[2]), p >= 2, p <= 46_340 else { return nil }
        return (operation, p)
    }

    /// The train set as one batch: inputs (N, 2) token pairs, targets (N, 1) answers.
    public var trainBatch: FixedBatch { batch(trainIndices) }
    /// The test set as one batch.
    public var testBatch: FixedBatch { batch(testIndices) }

    func batch(_ indices: Tensor) -> FixedBatch {
        FixedBatch(inputs: tokenPairs(indices), targets: labels(indices).unsqueeze(1))
    }
}
