// HuggingFaceFolderTests.swift — a GPT from a Hugging Face model folder (nanoGPT's init_from='gpt2'): config.json,
// model.safetensors or its shards; the logits equal transformers' GPT2LMHeadModel's (Fixtures/gpt2_hf); bad
// folders stop with what is wrong.
import Foundation
import Testing
@testable import MnemoModels
import MnemoSupport
@testable import Torch
import TorchNN

/// Writes the gpt2_hf fixture as a Hugging Face folder: config.json (+ model_type) and the weights, in one file or
/// in two shards with an index. Returns the fixture's tensors.
@discardableResult
func writeHuggingFaceFolder(_ folder: String, fixturePath: String, sharded: Bool = false, drop: String? = nil,
                            modelType: String = "gpt2") throws -> [String: Tensor] {
    let (f, meta) = try SafeTensorsIO.loadWithMetadata(fixturePath)
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    var config = try JSONSerialization.jsonObject(with: Data(meta["config"]!.utf8)) as! [String: Any]
    config["model_type"] = modelType
    try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: "\(folder)/config.json"))
    var weights = Dictionary(uniqueKeysWithValues: f.filter { $0.key.hasPrefix("param.") }.map { (String($0.key.dropFirst(6)), $0.value) })
    if let drop { weights[drop] = nil }
    if sharded {
        let names = weights.keys.sorted()
        let half = names.count / 2
        var map: [String: String] = [:]
        for (i, part) in [Array(names[..<half]), Array(names[half...])].enumerated() {
            let file = "model-0000\(i + 1)-of-00002.safetensors"
            try SafeTensorsIO.save(Dictionary(uniqueKeysWithValues: part.map { ($0, weights[$0]!) }), to: "\(folder)/\(file)")
            for n in part { map[n] = file }
        }
        try JSONSerialization.data(withJSONObject: ["metadata": [:], "weight_map": map])
            .write(to: URL(fileURLWithPath: "\(folder)/model.safetensors.index.json"))
    } else {
        try SafeTensorsIO.save(weights, to: "\(folder)/model.safetensors")
    }
    return f
}

@Suite struct HuggingFaceFolderTests {
    static var fixturePath: String {
        Bundle.module.url(forResource: "gpt2_hf", withExtension: "safetensors", subdirectory: "Fixtures")!.path
    }

    func temporary() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("mnemo-hf-\(UUID().uuidString)").path
    }

    @Test(arguments: [false, true])
    func aFolderGivesTransformersLogits(sharded: Bool) throws {
        let folder = temporary()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let f = try writeHuggingFaceFolder(folder, fixturePath: Self.fixturePath, sharded: sharded)
        #expect(HuggingFaceFolder.isModelFolder(folder))
        let model = try #require(try HuggingFaceImport.model(folder) as? GPT)
        #expect(model.config == GPTConfig(blockSize: 16, vocabSize: 100, nLayer: 2, nHead: 2, nEmbd: 32, dropout: 0,
                                          bias: true, geluApproximate: true))
        let logits = model(f["idx"]!)
        #expect(close(logits, f["logits"]!), "logits differ by \(maxDiff(logits, f["logits"]!))")
    }

    @Test func badFoldersSayWhatIsWrong() throws {
        let folder = temporary()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try writeHuggingFaceFolder(folder, fixturePath: Self.fixturePath, modelType: "bert")
        #expect(throws: ConfigError.self) { try HuggingFaceImport.model(folder) }
        do { _ = try HuggingFaceImport.model(folder) } catch { #expect("\(error)".contains("model_type 'bert' is not supported")) }
        #expect(throws: ConfigError.self) { try GPT.huggingFaceConfig(JSONParser.parse(#"{"model_type": "llama"}"#)) }

        try FileManager.default.removeItem(atPath: folder)
        try writeHuggingFaceFolder(folder, fixturePath: Self.fixturePath, drop: "transformer.h.1.mlp.c_fc.weight")
        do { _ = try HuggingFaceImport.model(folder); Issue.record("a missing tensor must be refused") } catch {
            #expect("\(error)".contains("transformer.h.1.mlp.c_fc.weight"), "\(error)")
        }
        try FileManager.default.removeItem(atPath: "\(folder)/model.safetensors")
        do { _ = try HuggingFaceImport.model(folder); Issue.record("no weights must be refused") } catch {
            #expect("\(error)".contains("neither model.safetensors nor model.safetensors.index.json"))
        }
        #expect(!HuggingFaceFolder.isModelFolder("/nonexistent"))
    }
}
