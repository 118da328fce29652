// ChatSFTTests.swift — chat and instruction data in ChatML with MiniMind's tokenizer: the rows are the ChatML text's
// ids, the loss falls on the assistant turns and their <|im_end|> only, bad lines are refused with their line number,
// and a full SFT stage through the trainer learns the answers.
import Foundation
import Testing
@testable import MnemoData
@testable import MnemoModels
@testable import MnemoTrain
@testable import Torch

@Suite(.serialized) struct ChatSFTTests {
    let tokenizerPath = sharedDataPath("minimind/tokenizer.json")

    @Test func rowsAreChatMLAndOnlyAssistantTurnsAreLearned() throws {
        let tokenizer = try TokenData.tokenizer(spec: "hf:\(tokenizerPath)")
        let end = tokenizer.specialTokens["<|im_end|>"]!
        let messages = [ChatMessage(role: "system", content: "Be brief."), ChatMessage(role: "user", content: "2+3?"),
                        ChatMessage(role: "assistant", content: "5"), ChatMessage(role: "user", content: "and 4+4?"),
                        ChatMessage(role: "assistant", content: "8")]
        let text = messages.map { "<|im_start|>\($0.role)\n\($0.content)<|im_end|>\n" }.joined()
        let expected = tokenizer.encode(text, allowedSpecial: .all)
        let rows = try ChatRows([messages], format: .chatML, rowLength: expected.count + 4, pad: 0) { tokenizer.encode($0, allowedSpecial: .all) }
        let batch = rows.batch([0], device: .cpu)
        let x = batch.inputs.toArray(Int64.self).map(Int.init), y = batch.targets.toArray(Int64.self).map(Int.init)
        #expect(Array(x.prefix(expected.count)) == expected, "the row is the ChatML text's ids")
        // the learned targets, in order: each assistant answer's ids and its <|im_end|>
        let learned = y.filter { $0 != -1 }
        let newline = tokenizer.encode("\n")
        #expect(learned == tokenizer.encode("5") + [end] + newline + tokenizer.encode("8") + [end] + newline)
        #expect(batch.targetCount == learned.count && rows.truncated == 0)
        let cut = try ChatRows([messages], format: .chatML, rowLength: 10, pad: 0) { tokenizer.encode($0, allowedSpecial: .all) }
        #expect(cut.truncated == 1 && cut.note!.contains("1 cut at 10 tokens"))
    }

    @Test func theTokenizersOwnTemplateDecidesTheRowsAndTheLearnedReplies() throws {
        let tokenizer = try TokenData.tokenizer(spec: "hf:\(tokenizerPath)")
        let format = try TokenData.chatFormat("tokenizer", tokenizerSpec: "hf:\(tokenizerPath)", tokenizer: tokenizer)
        let messages = [ChatMessage(role: "user", content: "2+3?"), ChatMessage(role: "assistant", content: "5"),
                        ChatMessage(role: "user", content: "and 4+4?"), ChatMessage(role: "assistant", content: "8")]
        let text = try format.render(messages, generationPrompt: false)
        #expect(text.contains("<think>\n\n</think>\n\n5<|im_end|>"), "MiniMind's template: \(text)")
        let expected = tokenizer.encode(text, allowedSpecial: .all)
        let rows = try ChatRows([messages], format: format, rowLength: expected.count + 1, pad: 0) { tokenizer.encode($0, allowedSpecial: .all) }
        let batch = rows.batch([0], device: .cpu)
        #expect(batch.inputs.toArray(Int64.self).map(Int.init) == expected, "the row is the template's text")
        let learned = batch.targets.toArray(Int64.self).filter { $0 != -1 }.map(Int.init)
        #expect(tokenizer.decode(learned) == "5<|im_end|>\n8<|im_end|>\n")
        // a chat with the same template stops at its eos (<|im_end|>)
        #expect(format.endOfTurn == "<|im_end|>")
    }

    @Test func alpacaAndConversationLinesAreReadAndBadLinesNamed() throws {
        let dir = try temporaryFolder("chat-read")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try """
            {"conversations": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}

            {"instruction": "Add.", "input": "2 3", "output": "5"}
            {"instruction": "Say yes.", "input": "", "output": "yes"}
            """.write(toFile: "\(dir)/good.jsonl", atomically: true, encoding: .utf8)
        let read = try ChatRows.read("\(dir)/good.jsonl")
        #expect(read.count == 3 && read[1] == [ChatMessage(role: "user", content: "Add.\n\n2 3"), ChatMessage(role: "assistant", content: "5")])
        #expect(read[2][0].content == "Say yes.")
        try "[{\"instruction\": \"a\", \"output\": \"b\"}]".write(toFile: "\(dir)/alpaca.json", atomically: true, encoding: .utf8)
        #expect(try ChatRows.read("\(dir)/alpaca.json").count == 1)
        for (line, message) in [("{\"conversations\": [{\"role\": \"user\", \"content\": \"hi\"}]}", "line 2: no assistant turn"),
                                ("{\"conversations\": [{\"role\": \"robot\", \"content\": \"hi\"}]}", "line 2: every turn needs a role"),
                                ("{\"text\": \"plain\"}", "line 2: neither"), ("{oops", "line 2: not JSON")] {
            try ("{\"instruction\": \"a\", \"output\": \"b\"}\n" + line).write(toFile: "\(dir)/bad.jsonl", atomically: true, encoding: .utf8)
            #expect { _ = try ChatRows.read("\(dir)/bad.jsonl") } throws: { "\($0)".contains(message) && "\($0)".contains("bad.jsonl") }
        }
    }

    @Test func anSFTStageLearnsTheAnswers() throws {
        let dir = try temporaryFolder("chat-sft")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let lines = (0..<40).map { i in
            "{\"conversations\": [{\"role\": \"user\", \"content\": \"color \(i % 4)?\"}, {\"role\": \"assistant\", \"content\": \"\(["red", "green", "blue", "gold"][i % 4])\"}]}"
        }
        try lines.joined(separator: "\n").write(toFile: "\(dir)/sft.jsonl", atomically: true, encoding: .utf8)
        var c = TrainConfig()
        c.data = "\(dir)/sft.jsonl"
        try c.apply(override: "model=minimind")
        try c.apply(override: "tokenizer=hf:\(tokenizerPath)")
        try c.apply(override: "data_layout=chat")
        try c.apply(override: "context_length=24")
        try c.apply(override: "dim=32"); try c.apply(override: "n_layers=1"); try c.apply(override: "n_heads=2")
        try c.apply(override: "n_kv_heads=1")
        c.batchSize = 8; c.maxIters = 80; c.evalInterval = 80; c.evalIters = 2; c.sampleTokens = 0
        c.learningRate = 1e-2; c.warmupIters = 2; c.lrDecayIters = 80
        let trainer = try Trainer(config: c, runDirectory: "\(dir)/run")
        trainer.progress = false
        let val = try #require(try trainer.run())
        let lines2 = try metricLines("\(dir)/run").filter { $0["train_loss"] != nil }
        let first = lines2.first!["train_loss"] as! Double
        #expect(val < 1.0 && val < first / 5, "the answers are learned: val \(val) from \(first)")
        let log = try String(contentsOfFile: "\(dir)/run/log.txt", encoding: .utf8)
        #expect(log.contains("train: 36 conversations, 0 cut at 25 tokens"))
        // the trained model answers in a chat, greedily, and stops at its <|im_end|>
        let session = try ChatSession(model: trainer.model, tokenizer: trainer.data.tokenizer, sampling: .greedy)
        var streamed = ""
        let answer = try session.reply(to: "color 2?", maxTokens: 8) { streamed += $0 }
        #expect(answer == "blue" && streamed == "blue", "answer \(answer)")
        #expect(try session.reply(to: "color 3?", maxTokens: 8) == "gold" && session.history.count == 4)
        session.reset()
        #expect(session.history.isEmpty)
    }
}
