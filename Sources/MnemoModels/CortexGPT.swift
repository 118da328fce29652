// CortexGPT.swift — a GPT with CortexGPT's memory layers (cortex_layers): the layers' regularisers as auxiliary
// losses, their gate and memory statistics as metrics, consolidation after optimizer steps, and a checkpoint's
// grown LTM resized before loading. The layer itself is CortexMemory.swift.
import Torch
import TorchNN

extension GPT {
    var memoryLayers: [CortexMemoryLayer] { transformer.cortex }

    /// Adds the memory layers' StabilizedLoss regularisers (means over layers, with their weights) and metrics to a
    /// forward's output: gate_mass/current|stm|ltm, gate_entropy (per token, nats), stm_fill (rows a query reads / S),
    /// stm_hit (queries whose largest STM weight ≥ 0.5), ltm_fill (rows written / L), ltm_hit (tokens whose largest LTM
    /// weight ≥ 0.5), sparsity_active (mask entries > 0.5).
    func withMemoryTerms(_ output: ModelOutput) -> ModelOutput {
        let outputs = memoryLayers.compactMap { $0.last.value }
        guard !outputs.isEmpty else { return output }
        var result = output
        let cortex = config.cortex
        func mean(_ values: [Tensor]) -> Tensor { values.dropFirst().reduce(values[0], +) / Double(values.count) }
        if cortex.gateSmoothnessWeight > 0 {
            result.auxiliaryLosses.append(AuxiliaryLoss("gate_smoothness", weight: cortex.gateSmoothnessWeight, mean(outputs.map(\.gateSmoothness))))
        }
        if cortex.gateEntropyWeight > 0 {
            result.auxiliaryLosses.append(AuxiliaryLoss("gate_entropy_push", weight: cortex.gateEntropyWeight, mean(outputs.map(\.gateEntropy))))
        }
        let penalties = outputs.compactMap(\.sparsity)
        if cortex.sparsityWeight > 0 && !penalties.isEmpty {
            result.auxiliaryLosses.append(AuxiliaryLoss("sparsity_penalty", weight: cortex.sparsityWeight, mean(penalties)))
        }
        withNoGrad {
            let gates = outputs.map { $0.gate.detached() }
            let mass = mean(gates.map { $0.mean(dims: [0, 1]) })                                // (3)
            result.metrics["gate_mass/current"] = mass.select(dim: 0, index: 0)
            result.metrics["gate_mass/stm"] = mass.select(dim: 0, index: 1)
            result.metrics["gate_mass/ltm"] = mass.select(dim: 0, index: 2)
            result.metrics["gate_entropy"] = mean(gates.map { (-($0 * ($0 + 1e-8).log()).sum(dims: [-1])).mean() })
            result.metrics["stm_fill"] = mean(outputs.map(\.stmFill))
            result.metrics["stm_hit"] = mean(outputs.map { ($0.conf.detached() .>= 0.5).float().mean() })
            result.metrics["ltm_fill"] = mean(memoryLayers.map { $0.ltm_valid.float().mean() })
            result.metrics["ltm_hit"] = mean(outputs.map { o in
                o.ltmTopWeight.map { ($0 .>= 0.5).float().mean() } ?? Tensor.zeros([], device: o.out.device) })
            let masks = outputs.compactMap(\.mask)
            if !masks.isEmpty { result.metrics["sparsity_active"] = mean(masks.map { ($0.detached() .> 0.5).float().mean() }) }
        }
        return result
    }

    /// Forgets every memory layer's short-term memory (a new document); the LTM stays.
    public func resetShortTermMemory() { for layer in memoryLayers { layer.resetShortTerm() } }

    /// Rows in each memory layer's LTM.
    public var longTermMemoryRows: [Int] { memoryLayers.map(\.ltmRows) }
}

extension GPT: OptimizerStepObserver {
    /// Consolidation STM → LTM in every memory layer. Returns the rows written.
    @discardableResult
    public func afterOptimizerStep(step: Int) -> Int {
        memoryLayers.reduce(0) { $0 + $1.consolidate(step: step) }
    }
}

extension GPT: StateDictPreparing {
    /// An unbounded LTM grows: take the checkpoint's capacity before its state dict is loaded.
    public func prepare(forStateDict state: [String: Tensor]) {
        for (i, layer) in memoryLayers.enumerated() {
            if let memory = state["transformer.cortex.\(i).ltm_memory"] { layer.prepareLongTermMemory(rows: memory.size(0)) }
        }
    }
}
