// PromptPrefix.swift — the ids a Hugging Face tokenizer.json puts before a single text when special tokens are
// added (transformers' `tokenizer(prompt)`): Llama-2's `<s>`, Llama-3's `<|begin_of_text|>`. Read from the
// post_processor: a TemplateProcessing (alone or inside a Sequence) whose "single" template starts with special
// tokens before the sequence $A. A file without one (GPT-2, MiniMind) gives no prefix.

import Foundation

public enum PromptPrefix {
    /// The ids before $A in the file's single-text template; [] when there is none.
    public static func ids(tokenizerFile path: String) throws -> [Int] {
        let json = try TokenizerFiles.readJSONObject(path, what: "a Hugging Face tokenizer.json",
                                                     hint: "give the tokenizer.json of a Hugging Face model folder")
        return ids(postProcessor: json["post_processor"])
    }

    static func ids(postProcessor: Any?) -> [Int] {
        guard let object = postProcessor as? [String: Any] else { return [] }
        if object["type"] as? String == "Sequence", let steps = object["processors"] as? [Any] {
            return steps.lazy.map { ids(postProcessor: $0) }.first { !$0.isEmpty } ?? []
        }
        guard object["type"] as? String == "TemplateProcessing", let single = object["single"] as? [[String: Any]],
              let specials = object["special_tokens"] as? [String: Any] else { return [] }
        var prefix: [Int] = []
        for piece in single {
            guard let special = piece["SpecialToken"] as? [String: Any], let name = special["id"] as? String,
                  let entry = specials[name] as? [String: Any], let ids = entry["ids"] as? [Any] else { break }
            prefix += ids.compactMap(TokenizerFiles.integer)
        }
        return prefix
    }
}
