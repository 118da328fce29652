// PromptPrefix.swift — the ids a Hugging Face tokenizer.json puts before a single text when special tokens are
// added (transformers' `tokenizer(prompt)`): Llama-2's `<s>`, Llama-3's `<|begin_of_text|>`. Read from the
// post_processor: a TemplateProcessing (alone or inside a Sequence) whose "single" template starts with special
// tokens before the sequence $A. A file without one (GPT-2, MiniMind) gives no prefix.

import MnemoSupport

public enum PromptPrefix {
    /// The ids before $A in the file's single-text template; [] when there is none.
    public static func ids(tokenizerFile path: String) throws -> [Int] {
        let json = try TokenizerFiles.readJSON(path, what: "a Hugging Face tokenizer.json",
                                               hint: "give the tokenizer.json of a Hugging Face model folder")
        return ids(postProcessor: json["post_processor"])
    }

    static func ids(postProcessor: JSONValue?) -> [Int] {
        guard let object = postProcessor, case .object = object else { return [] }
        if object["type"]?.string == "Sequence", let steps = object["processors"]?.array {
            return steps.lazy.map { ids(postProcessor: $0) }.first { !$0.isEmpty } ?? []
        }
        guard object["type"]?.string == "TemplateProcessing", let single = object["single"]?.array,
              single.allSatisfy({ $0.object != nil }), let specials = object["special_tokens"], specials.object != nil
        else { return [] }
        var prefix: [Int] = []
        for piece in single {
            guard let name = piece["SpecialToken"]?["id"]?.string, let ids = specials[name]?["ids"]?.array else { break }
            prefix += ids.compactMap(\.int)
        }
        return prefix
    }
}
