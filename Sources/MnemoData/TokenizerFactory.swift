// TokenizerFactory.swift — a tokenizer from a description of where its files are (TokenizerSpec.swift).
//
// Every failure is a TokenizerError naming the file, what is wrong with it and what to do, e.g.
//
//     data/gpt2/vocab.bpe: no such file (expected GPT-2's vocab.bpe merge list). hint: the folder must hold
//     encoder.json and vocab.bpe (OpenAI's GPT-2 files, e.g. shared/data/gpt2)

import Foundation
import MnemoSupport

public func loadTokenizer(_ spec: TokenizerSpec) throws -> any Tokenizer {
    switch spec {
    case .char(let path):
        return try CharTokenizer(path: path)
    case .gpt2(let directory):
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) else {
            throw TokenizerError(.missingFile, file: directory, "no such folder (expected GPT-2's encoder.json and vocab.bpe in it)",
                                 hint: "give the folder that holds OpenAI's GPT-2 files, e.g. shared/data/gpt2")
        }
        guard isDirectory.boolValue else {
            throw TokenizerError(.io, file: directory, "is a file, not a folder",
                                 hint: "give the folder that holds encoder.json and vocab.bpe, not a file in it")
        }
        return try GPT2Tokenizer(directory: directory)
    case .huggingFace(let path):
        return try loadHuggingFaceTokenizer(path: path)
    }
}

/// A Hugging Face tokenizer.json: byte-level BPE (GPT-2, Qwen2, Llama-3, MiniMind) when its decoder is ByteLevel,
/// else SentencePiece-style BPE (Llama-2, TinyLlama), which refuses what it cannot encode exactly.
public func loadHuggingFaceTokenizer(path: String) throws -> any Tokenizer {
    let hint = "give a Hugging Face tokenizer.json of a BPE model (byte-level as GPT-2's, or SentencePiece-style as Llama-2's)"
    let json = try TokenizerFiles.readJSON(path, what: "a Hugging Face tokenizer.json", hint: hint)
    if json["type"]?.string != "char", let decoder = json["decoder"], decoder.object != nil, !HFTokenizer.isByteLevel(decoder) {
        return try SentencePieceTokenizer(json: json, file: path)
    }
    return try HFTokenizer(json: json, file: path)
}
