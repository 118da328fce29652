// Llama3ChatTests.swift — a Llama-3-template Hugging Face folder (scripts/make_llama3_chat_fixture.py: Llama 3's tokenizer
// layout, chat_template.jinja, scaled RoPE) as a user meets one: its conversations encode to transformers' ids, an SFT
// stage from it learns the replies with the loss on "reply<|eot_id|>", and the tuned run — even after the folder it
// started from is gone — chats in the folder's template and stops at <|eot_id|>.
import Foundation
import MnemoData
import MnemoSupport
import Testing
@testable import MnemoTrain

@Suite(.serialized) struct Llama3ChatTests {
    static var fixture: String {
        Bundle.module.url(forResource: "hf_llama3_chat", withExtension: nil, subdirectory: "Fixtures")!.path
    }

    @Test func conversationsEncodeToTransformersIds() throws {
        let url = try #require(Bundle.module.url(forResource: "chat_token_ids", withExtension: "json", subdirectory: "Fixtures"))
        let cases = try #require(try JSONParser.parse([UInt8](try Data(contentsOf: url)), options: .strict)["cases"]?.array)
            .filter { $0["tokenizer"]?.string == "llama3" }
        #expect(cases.count >= 4)
        let spec = "hf:\(Self.fixture)/tokenizer.json"
        let tokenizer = try TokenData.tokenizer(spec: spec)
        let format = try TokenData.chatFormat("tokenizer", tokenizerSpec: spec, tokenizer: tokenizer)
        #expect(format.endOfTurn == "<|eot_id|>" && format.bos == "<|begin_of_text|>")
        for item in cases {
            let messages = try #require(item["messages"]?.array).map {
                ChatMessage(role: $0["role"]?.string ?? "", content: $0["content"]?.string ?? "")
            }
            let text = try format.render(messages, generationPrompt: item["add_generation_prompt"]?.bool ?? false)
            #expect(text == item["text"]?.string)
            #expect(tokenizer.encode(text, allowedSpecial: .all) == (try #require(item["ids"]?.array)).compactMap(\.int))
        }
    }

    @Test func anSFTRunFromTheFolderChatsInItsTemplateAndStopsAtEndOfTurn() throws {
        let dir = try temporaryFolder("llama3-chat")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let folder = "\(dir)/llama3"
        try FileManager.default.copyItem(atPath: Self.fixture, toPath: folder)
        let colours = ["red", "green", "blue", "gold"]
        func turn(_ k: Int) -> String {
            "{\"role\": \"user\", \"content\": \"colour \(k)?\"}, {\"role\": \"assistant\", \"content\": \"\(colours[k])\"}"
        }
        // one and two turns, so the model also answers after a first exchange
        let lines = (0..<40).map { i in "{\"conversations\": [\(turn(i % 4))\(i % 2 == 0 ? ", " + turn((i / 2) % 4) : "")]}" }
        try lines.joined(separator: "\n").write(toFile: "\(dir)/sft.jsonl", atomically: true, encoding: .utf8)
        var c = TrainConfig()
        c.data = "\(dir)/sft.jsonl"
        for setting in ["init_from=\(folder)", "tokenizer=hf:\(folder)/tokenizer.json", "data_layout=chat", "chat_template=tokenizer"] {
            try c.apply(override: setting)
        }
        c.batchSize = 8; c.maxIters = 120; c.evalInterval = 120; c.evalIters = 2; c.sampleTokens = 0
        c.learningRate = 1e-2; c.warmupIters = 2; c.lrDecayIters = 120; c.weightDecay = 0
        let trainer = try Trainer(config: c, runDirectory: "\(dir)/run")
        trainer.progress = false
        try trainer.run()
        // the folder it started from is gone: the run's own copies of the tokenizer and its template are enough
        try FileManager.default.removeItem(atPath: folder)
        let loaded = try LoadedRun(runDirectory: "\(dir)/run")
        let format = try loaded.chatFormat()
        #expect(format.endOfTurn == "<|eot_id|>")
        let session = try ChatSession(model: loaded.model, tokenizer: loaded.tokenizer, format: format, sampling: .greedy)
        var streamed = ""
        let answer = try session.reply(to: "colour 2?", maxTokens: 12) { streamed += $0 }
        #expect(answer == "blue" && streamed == "blue", "answer \(answer)")
        #expect(try session.reply(to: "colour 3?", maxTokens: 12) == "gold" && session.history.count == 4)
    }
}
