// Chat.swift — `mnemo chat RUN|DIR`: a conversation in the terminal with a run (in the chat format it was tuned with)
// or a Hugging Face folder (its own chat template; ChatML without one): each line you type is a user turn, the reply
// streams as it is sampled and stops at the format's end of turn (<|im_end|>, Llama 3's <|eot_id|>, …). /reset starts
// over, /quit (or end of input) leaves.
import ArgumentParser
import Foundation
import MnemoModels
import MnemoTrain
import Torch
import TorchNN

struct Chat: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Talk to a model in its chat format: multi-turn, a system prompt, /reset, /quit.")

    @Argument(help: "Run folder, or a Hugging Face model folder (its tokenizer_config.json's chat template, else ChatML).") var runFolder: String
    @Option(help: "System prompt.") var system: String?
    @Option(help: "chatml (built in), tokenizer (the tokenizer_config.json beside the folder's tokenizer.json), or a path to a tokenizer_config.json (default: the run's chat_template; a Hugging Face folder's own template when it has one).")
    var template: String?
    @Option(help: "Tokens per reply at most.") var tokens = 256
    @Option(help: "1.0 = no change, < 1.0 = less random.") var temperature = 0.7
    @Option(help: "Keep only the k most likely tokens (0 = all).") var topK = 0
    @Option(help: "Nucleus: keep the most likely tokens up to this probability (1 = all).") var topP = 0.9
    @Option(help: "Repetition penalty (1 = none).") var repetitionPenalty = 1.0
    @Option(help: "Random seed.") var seed: UInt64 = 1337
    @Option(help: "cpu, cuda or cuda:N.") var device: String?

    func run() throws {
        Runtime.checkVersion()
        do {
            let loaded = try LoadedRun(runDirectory: runFolder, device: try parseDevice(device))
            let options = SamplingOptions(temperature: temperature, topK: topK > 0 ? topK : nil, topP: topP,
                                          repetitionPenalty: repetitionPenalty)
            let problems = options.problems()
            guard problems.isEmpty else { throw ValidationError(problems.joined(separator: "; ")) }
            let format = try loaded.chatFormat(template)
            let session = try ChatSession(model: loaded.model, tokenizer: loaded.tokenizer, format: format, system: system, sampling: options,
                                          device: loaded.device, generator: Generator(seed: seed, device: loaded.device),
                                          probabilities: probabilities(loaded.lossKind))
            // every line goes straight to standard output (unbuffered), in order with the streamed replies
            func say(_ text: String) { FileHandle.standardOutput.write(Data((text + "\n").utf8)) }
            say("mnemo chat: \(runFolder) — type a message; /reset starts over, /quit leaves")
            while true {
                FileHandle.standardOutput.write(Data("> ".utf8))
                guard let line = readLine() else { break }
                let text = line.trimmingCharacters(in: .whitespaces)
                if text.isEmpty { continue }
                if text == "/quit" { break }
                if text == "/reset" { session.reset(); say("(history cleared)"); continue }
                try session.reply(to: text, maxTokens: tokens) { FileHandle.standardOutput.write(Data($0.utf8)) }
                say("")
            }
        } catch let error as ValidationError {
            throw error
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
