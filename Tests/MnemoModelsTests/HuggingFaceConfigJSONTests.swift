// HuggingFaceConfigJSONTests.swift — a Hugging Face folder's config.json and model.safetensors.index.json read
// through MnemoSupport's JSONParser (Python dialect: transformers writes them with json.dumps): a syntax error is
// named with its line and column, NaN reads as Python reads it (and a NaN setting is then refused by the model's
// checks), integers written as 768.0 are integers, and a weight map with a non-string shard is named.
import Foundation
import Testing
@testable import MnemoModels
import MnemoSupport

@Suite struct HuggingFaceConfigJSONTests {
    func withFolder(_ body: (String) throws -> Void) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mnemo-hfjson-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try body(folder)
    }

    func write(_ text: String, _ name: String, in folder: String) throws {
        try text.write(toFile: "\(folder)/\(name)", atomically: true, encoding: .utf8)
    }

    static let gpt2 = """
        {"model_type": "gpt2", "n_positions": 16, "n_ctx": 16, "vocab_size": 100, "n_layer": 2, "n_head": 2,
         "n_embd": 32.0, "layer_norm_epsilon": 1e-05, "resid_pdrop": 0.1, "activation_function": "gelu_new"}
        """

    @Test func configErrorsNameLineAndColumn() throws {
        try withFolder { folder in
            try write("{\n  \"model_type\": \"gpt2\",\n  \"n_layer\": 2,,\n}", "config.json", in: folder)
            let error = try #require(throws: ConfigError.self) { try HuggingFaceImport.spec(folder) }
            #expect(error.description == "\(folder)/config.json is not valid JSON at line 3, column 16: unexpected ',', expected a string key")
            #expect(!HuggingFaceFolder.isModelFolder(folder))

            try write("[1]", "config.json", in: folder)
            let array = try #require(throws: ConfigError.self) { try HuggingFaceImport.spec(folder) }
            #expect(array.description == "\(folder)/config.json is an array, not a JSON object")
        }
    }

    @Test func pythonNumbersReadAsPythonReadsThem() throws {
        try withFolder { folder in
            try write(Self.gpt2, "config.json", in: folder)
            #expect(HuggingFaceFolder.isModelFolder(folder))
            let spec = try HuggingFaceImport.spec(folder)
            #expect(spec.name == "gpt")
            #expect(try HuggingFaceFolder.configJSON(folder)["n_embd"]?.int == 32)

            try write(Self.gpt2.replacingOccurrences(of: "1e-05", with: "NaN"), "config.json", in: folder)
            let nan = try #require(throws: ConfigError.self) { try HuggingFaceImport.spec(folder) }
            #expect(nan.description.contains("layer_norm_epsilon nan differs"), "\(nan)")
        }
    }

    @Test func weightMapEntriesMustBeFileNames() throws {
        try withFolder { folder in
            try write(Self.gpt2, "config.json", in: folder)
            try write(#"{"metadata": {}, "weight_map": {"wte.weight": 3}}"#, "model.safetensors.index.json", in: folder)
            let error = try #require(throws: ConfigError.self) { try HuggingFaceFolder.tensors(folder) }
            #expect(error.description == "\(folder)/model.safetensors.index.json: weight_map[\"wte.weight\"] is a number, not a shard file name")

            try write(#"{"metadata": {}}"#, "model.safetensors.index.json", in: folder)
            let missing = try #require(throws: ConfigError.self) { try HuggingFaceFolder.tensors(folder) }
            #expect(missing.description.contains("has no \"weight_map\" object"))
        }
    }
}
