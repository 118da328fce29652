// MemoryTrainingTests.swift — the explicit memory bank in a run of the trainer: memory_file fills the bank from a
// JSONL file tokenized as the text, and the rows are checkpointed and read back by `memory dump`'s loader.
import Foundation
import MnemoModels
import Testing
@testable import MnemoTrain

@Suite(.serialized) struct MemoryTrainingTests {
    @Test func theBankFillsFromAJSONLFileTokenizedAsTheText() throws {
        let dir = try temporaryFolder("memory-file")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let rowsFile = "\(dir)/rows.jsonl"
        try "{\"text\": \"the quick\"}\n{\"text\": \"lazy dog\"}\n".write(toFile: rowsFile, atomically: true, encoding: .utf8)
        var config = tinyConfig(data: try writeCorpus(in: dir))
        for setting in ["model=minimind", "dim=16", "n_layers=1", "n_heads=2", "n_kv_heads=1", "max_seq_len=16", "use_memory=true",
                        "memory_rows=64", "memory_length=6", "memory_key_dim=8", "memory_candidates=4", "memory_file=\(rowsFile)"] {
            try config.apply(override: setting)
        }
        config.maxIters = 2
        let trainer = try Trainer(config: config, runDirectory: "\(dir)/run")
        trainer.progress = false
        let model = try #require(trainer.model as? MiniMind)
        let rows = model.memoryRows!.narrow(dim: 0, start: 0, length: 2).toArray(Int32.self).map(Int.init)
        #expect(Array(rows[0..<6]) == trainer.data.tokenizer.encode("the qu"))   // truncated to L = 6
        #expect(Array(rows[6..<12]) == trainer.data.tokenizer.encode("lazy d"))
        try trainer.run()
        let loaded = try #require(try LoadedRun(runDirectory: "\(dir)/run").model as? MiniMind)
        #expect(loaded.memoryRows!.narrow(dim: 0, start: 0, length: 1).toArray(Int32.self).map(Int.init) == Array(rows[0..<6]))
    }
}
