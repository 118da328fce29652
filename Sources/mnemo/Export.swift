// Export.swift — `mnemo export RUN DIR`: a trained GPT or (dense) MiniMind as a Hugging Face model folder that
// transformers' AutoModelForCausalLM.from_pretrained(DIR) loads and runs to the same logits, with the run's
// tokenizer files under their Hugging Face names. A LoRA run (lora_rank > 0) exports its base and its adapter in peft's
// layout (DIR/adapter: PeftModel.from_pretrained(base, DIR/adapter)), or with --merge-lora one merged model.
import ArgumentParser
import Foundation
import MnemoModels
import MnemoSupport
import MnemoTrain
import Torch

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a run's latest checkpoint as a Hugging Face model folder (gpt → GPT-2; minimind → Llama or Qwen2).")

    @Argument(help: "Run folder (the --out of `mnemo train`).") var runFolder: String
    @Argument(help: "Folder to write (config.json, model.safetensors, tokenizer files).") var out: String
    @Option(help: "Also write Mnemo's logits for a fixed batch (idx, logits) to this safetensors file, for scripts/check_export.py to compare with transformers.")
    var reference: String?
    @Flag(help: "A LoRA run: fold the adapter into the weights and write one merged model (no adapter folder).")
    var mergeLora = false

    func run() throws {
        Runtime.checkVersion()
        do {
            let loaded = try LoadedRun(runDirectory: runFolder, device: .cpu)
            let adapted = !PEFTAdapter.adapted(loaded.model).isEmpty
            var adapterNote = ""
            if adapted && !mergeLora {
                try PEFTAdapter.write(loaded.model, baseModel: loaded.config.initFrom.isEmpty ? out : loaded.config.initFrom,
                                      to: "\(out)/adapter")
                adapterNote = "; LoRA adapter in \(out)/adapter (peft's layout)"
            }
            if adapted && mergeLora {
                PEFTAdapter.merge(loaded.model)
                adapterNote = "; LoRA merged into the weights"
            }
            try HuggingFaceExport.write(loaded.model, to: out, endOfText: loaded.tokenizer.endOfText)
            let tokenizer = try RunTokenizer.export(run: runFolder, chatTemplate: loaded.config.chatTemplate, to: out)
            if let reference {
                let vocab = loaded.tokenizer.vocabularySize
                let idx = Tensor.randint(0, vocab, [2, min(16, loaded.model.contextLength)], generator: Generator(seed: 1234))
                loaded.model.eval()
                let logits = withNoGrad { loaded.model.forward(idx, targets: nil).logits }
                try SafeTensorsIO.save(["idx": idx, "logits": logits], to: reference)
            }
            let type = try HuggingFaceFolder.configJSON(out)["model_type"]?.string ?? "?"
            print("mnemo export: \(runFolder) (step \(loaded.step), \(loaded.config.model.name)) → \(out): model_type \(type), "
                  + "\(loaded.model.parameterCount) parameters; tokenizer: \(tokenizer)\(adapterNote)")
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
