// RopeScalingTests.swift — Hugging Face Llama folders with scaled RoPE (Llama 3.x's "llama3" rule, "linear") against
// transformers' logits (scripts/make_hf_folder_fixtures.py), the hub's older config form, the way back through
// export, and rope types that are refused by name.
import Foundation
import Testing
@testable import MnemoModels
@testable import MnemoSupport
@testable import Torch

@Suite struct RopeScalingTests {
    func folder(_ kind: String) throws -> String {
        try #require(Bundle.module.url(forResource: "hf_llama_rope_\(kind)", withExtension: nil, subdirectory: "Fixtures")).path
    }

    func logits(of model: any LanguageModel, _ idx: Tensor) -> Tensor {
        model.eval()
        return withNoGrad { model.forward(idx, targets: nil).logits }
    }

    @Test(arguments: ["llama3", "linear"])
    func scaledRopeFoldersGiveTransformersLogits(kind: String) throws {
        let dir = try folder(kind)
        let reference = try SafeTensorsIO.load("\(dir)/reference.safetensors")
        let model = try HuggingFaceImport.model(dir)
        let mini = try #require(model as? MiniMind)
        #expect(mini.config.ropeScaling.rawValue == kind && mini.config.ropeScalingFactor == 8)
        let got = logits(of: model, reference["idx"]!)
        #expect((got - reference["logits"]!).abs().max().item() < 2e-5, "\(kind): logits")
        // without the scaling the logits differ: the fixture exercises it (positions up to 47, three frequency bands)
        var plain = mini.config
        plain.ropeScaling = .none
        let unscaled = MiniMind(plain)
        try unscaled.load(stateDict: mini.stateDict())
        #expect((logits(of: unscaled, reference["idx"]!) - reference["logits"]!).abs().max().item() > 1e-3)

        // the way back: exported and imported again, the same logits
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("rope-\(kind)-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        try HuggingFaceExport.write(model, to: out)
        let back = try HuggingFaceImport.model(out)
        #expect((logits(of: back, reference["idx"]!) - got).abs().max().item() == 0)
    }

    @Test func theHubsOlderRopeScalingFormReadsTheSameAndOtherTypesAreRefused() throws {
        let dir = try folder("llama3")
        let reference = try SafeTensorsIO.load("\(dir)/reference.safetensors")
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("rope-old-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: "\(dir)/model.safetensors", toPath: "\(tmp)/model.safetensors")
        let original = try String(contentsOfFile: "\(dir)/config.json", encoding: .utf8)
        // Llama 3.2 as published: "rope_scaling" with rope_type, and rope_theta at the top level
        let older = original.replacingOccurrences(of: "\"rope_parameters\"", with: "\"rope_theta\": 10000.0,\n  \"rope_scaling\"")
            .replacingOccurrences(of: "    \"rope_theta\": 10000.0,\n", with: "")
        try older.write(toFile: "\(tmp)/config.json", atomically: true, encoding: .utf8)
        #expect(older.contains("\"rope_scaling\"") && !older.contains("rope_parameters"))
        let model = try HuggingFaceImport.model(tmp)
        #expect((logits(of: model, reference["idx"]!) - reference["logits"]!).abs().max().item() < 2e-5)

        try original.replacingOccurrences(of: "\"llama3\"", with: "\"yarn\"").write(toFile: "\(tmp)/config.json", atomically: true, encoding: .utf8)
        #expect { _ = try HuggingFaceImport.model(tmp) } throws: { "\($0)".contains("rope_type 'yarn' is not supported") }
    }
}
