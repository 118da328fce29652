// ResidualDiagnostics.swift — how large the residual stream grows, layer by layer (the looped-GPT fork's "SIZE
// COMPARISON"): every model with a residual stream reports it, the trainer logs it at each evaluation on one fixed
// batch, and the report draws it per layer.
//
// Each figure is the fork's `t.std(dim=-1).mean()`: the standard deviation over channels (correction 1, as
// torch.std) of each token's vector, averaged over the batch's tokens — not an L2 norm (≈ std·√C when the mean is
// near 0). Per layer i: `in` the residual entering the block, `norm` after the block's first norm, `mid` between
// the block's two branches (after attention is added); `out` the residual after the last block.
import Torch

public struct ResidualStatistics: Sendable, Equatable {
    public var input: [Double]
    public var mid: [Double]
    public var norm: [Double]
    public var output: Double

    /// As metrics.jsonl keys: resid_in/0 … resid_in/L-1, resid_mid/…, resid_norm/…, resid_out.
    public var metrics: [String: Double] {
        var out = ["resid_out": output]
        for (name, values) in [("resid_in", input), ("resid_mid", mid), ("resid_norm", norm)] {
            for (i, v) in values.enumerated() { out["\(name)/\(i)"] = v }
        }
        return out
    }
}

public protocol ResidualDiagnostics: LanguageModel {
    /// The residual stream's size per layer on idx (B, T), without gradients.
    func residualStatistics(_ idx: Tensor) -> ResidualStatistics
}

/// Collects the per-layer figures during one forward pass (the blocks call `record`). Values stay on the device
/// until `statistics()` reads them all.
final class ResidualTrace {
    private var input: [Tensor] = [], mid: [Tensor] = [], norm: [Tensor] = []
    private var output: Tensor?

    /// Mean over tokens of the std over channels: (…, C) → 0-d.
    static func size(_ x: Tensor) -> Tensor { x.float().std(dims: [-1]).mean() }

    func record(input x: Tensor, normed: Tensor, mid h: Tensor) {
        input.append(Self.size(x))
        norm.append(Self.size(normed))
        mid.append(Self.size(h))
    }

    func recordOutput(_ x: Tensor) { output = Self.size(x) }

    func statistics() -> ResidualStatistics {
        func read(_ values: [Tensor]) -> [Double] { values.map { $0.item() } }
        return ResidualStatistics(input: read(input), mid: read(mid), norm: read(norm), output: output?.item() ?? .nan)
    }
}
