// ChatTokenIdsTests.swift — a conversation rendered by the folder's own chat template and encoded by Mnemo gives the
// ids transformers' apply_chat_template(tokenize=True) gives (scripts/make_chat_token_fixtures.py wrote them with
// MiniMind's tokenizer folder): system prompts, several turns, the generation prompt, Unicode.
import Foundation
import MnemoData
import MnemoSupport
import Testing
@testable import MnemoTrain

@Suite struct ChatTokenIdsTests {
    @Test func renderedConversationsEncodeToTransformersIds() throws {
        let url = try #require(Bundle.module.url(forResource: "chat_token_ids", withExtension: "json", subdirectory: "Fixtures"))
        let json = try JSONParser.parse([UInt8](try Data(contentsOf: url)), options: .strict)
        let cases = try #require(json["cases"]?.array)
        let folders = ["minimind": sharedDataPath("minimind")]
        #expect(cases.filter { folders[$0["tokenizer"]?.string ?? ""] != nil }.count >= 4)
        for item in cases {
            guard let folder = folders[item["tokenizer"]?.string ?? ""] else { continue }
            let tokenizer = try TokenData.tokenizer(spec: "hf:\(folder)/tokenizer.json")
            let format = try TokenData.chatFormat("tokenizer", tokenizerSpec: "hf:\(folder)/tokenizer.json", tokenizer: tokenizer)
            let messages = try #require(item["messages"]?.array).map {
                ChatMessage(role: $0["role"]?.string ?? "", content: $0["content"]?.string ?? "")
            }
            let prompt = item["add_generation_prompt"]?.bool ?? false
            let text = try format.render(messages, generationPrompt: prompt)
            #expect(text == item["text"]?.string)
            let want = try #require(item["ids"]?.array).compactMap { $0.int }
            #expect(tokenizer.encode(text, allowedSpecial: .all) == want, "\(messages.map(\.content))")
        }
    }

    @Test func anExportedChatMLRunCarriesItsTemplate() throws {
        let run = try temporaryFolder("export-chatml")
        defer { try? FileManager.default.removeItem(atPath: run) }
        try FileManager.default.createDirectory(atPath: "\(run)/hf", withIntermediateDirectories: true)
        try "hf:\(sharedDataPath("minimind"))/tokenizer.json".write(toFile: "\(run)/tokenizer.spec", atomically: true, encoding: .utf8)
        let written = try RunTokenizer.export(run: run, chatTemplate: "chatml", to: "\(run)/hf")
        #expect(written == "tokenizer.json, tokenizer_config.json, chat_template.jinja")
        // the folder's own template (MiniMind's) is not what the run was tuned with: the exported one renders ChatML
        let format = try ChatFormat.tokenizerConfig("\(run)/hf/tokenizer_config.json")
        let messages = [ChatMessage(role: "system", content: "Be brief."), ChatMessage(role: "user", content: "Hi"),
                        ChatMessage(role: "assistant", content: "Hello."), ChatMessage(role: "user", content: "Bye")]
        for prompt in [true, false] {
            #expect(try format.render(messages, generationPrompt: prompt) == ChatFormat.chatML.render(messages, generationPrompt: prompt))
        }
        #expect(format.endOfTurn == "<|im_end|>")
    }
}
