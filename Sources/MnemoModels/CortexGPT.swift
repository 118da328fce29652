// CortexGPT.swift — a GPT with CortexGPT's memory layers (cortex_layers): the layers' regularisers as auxiliary
// losses, their gate and memory statistics as metrics, consolidation after optimizer steps, and a checkpoint's
// grown LTM resized before loading. The layer itself is CortexMemory.swift.
import Torch
import TorchNN

extension GPT {
    var memoryLayers: [CortexMemoryLayer] { transformer.cortex }

    /// The memory layers' regularisers and metrics added to a forward's output (CortexMemoryLayer.withTerms).
    func withMemoryTerms(_ output: ModelOutput) -> ModelOutput {
        CortexMemoryLayer.withTerms(output, layers: memoryLayers, config: config.cortex)
    }

    /// Runs `body` with the memory layers' short-term and/or long-term memory knocked out (each retrieves zeros, as
    /// an empty memory): what a memory contributes is the loss with it minus the loss without it.
    public func withoutMemories<R>(shortTerm: Bool, longTerm: Bool, _ body: () throws -> R) rethrows -> R {
        for layer in memoryLayers { (layer.shortTermDisabled, layer.longTermDisabled) = (shortTerm, longTerm) }
        defer { for layer in memoryLayers { (layer.shortTermDisabled, layer.longTermDisabled) = (false, false) } }
        return try body()
    }

    /// Runs `body` and then puts every memory layer's STM ring and LTM (rows, validity, pointer) back as they were
    /// before it: an evaluation that lets the memories work (reads, writes, consolidation) leaves the model unchanged.
    public func preservingMemories<R>(_ body: () throws -> R) rethrows -> R {
        let saved = memoryLayers.map { ($0.ring, $0.ltm_memory.clone(), $0.ltm_valid.clone(), $0.ltm_pointer.clone()) }
        defer {
            for (layer, state) in zip(memoryLayers, saved) {
                (layer.ring, layer.ltm_memory, layer.ltm_valid, layer.ltm_pointer) = state
            }
        }
        return try body()
    }

    /// Forgets every memory layer's short-term memory (a new document); the LTM stays.
    public func resetShortTermMemory() { for layer in memoryLayers { layer.resetShortTerm() } }

    /// The memory layers' contents are written from each process's own batches.
    public var rankLocalState: String? { config.cortex.isEnabled ? "CortexGPT memories (STM counts, LTM contents)" : nil }

    /// Rows in each memory layer's LTM.
    public var longTermMemoryRows: [Int] { memoryLayers.map(\.ltmRows) }
}

extension GPT: OptimizerStepObserver {
    /// Consolidation STM → LTM in every memory layer: the LTM rows written (`cortex_ltm_rows_written`).
    @discardableResult
    public func afterOptimizerStep(step: Int) -> [String: Int] {
        memoryLayers.isEmpty ? [:] : ["cortex_ltm_rows_written": memoryLayers.reduce(0) { $0 + $1.consolidate(step: step) }]
    }
}

extension GPT: StateDictPreparing {
    /// An unbounded LTM grows: take the checkpoint's capacity before its state dict is loaded.
    public func prepare(forStateDict state: [String: Tensor]) {
        CortexMemoryLayer.prepare(memoryLayers, prefix: "transformer.cortex", forStateDict: state)
    }
}
