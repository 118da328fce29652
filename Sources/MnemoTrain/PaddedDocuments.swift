// PaddedDocuments.swift — a run's data for MiniMind's pretraining layout (`data_layout = "padded"`): one row per
// document (MnemoData's PaddedDocumentRows: bos + text + eos, cut or padded to context_length + 1 tokens, the loss
// masked on padding). The default layout, "packed", is
// nanoGPT's: documents run together and windows are cut anywhere — faster (no padding computed), and what the
// presets use unless they say otherwise.
//
// Input: a .jsonl file of {"text": …} objects (MiniMind's pretrain_hq.jsonl), or a text file whose non-empty lines
// are the documents. The last `val_fraction` of the documents validate.
import Foundation
import MnemoData
import Torch

enum PaddedDocuments {
    /// The documents of a jsonl file ({"text": …} per line, read by `mnemo data prepare`'s reader) or of a text
    /// file (its non-empty lines).
    static func read(_ path: String) throws -> [String] {
        if path.lowercased().hasSuffix(".jsonl") {
            do { return try DataPrepare.readCorpus([path]).sources.flatMap(\.documents) } catch {
                throw ConfigError("data: \(error)")
            }
        }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ConfigError("data: \(path) is not UTF-8 text")
        }
        return text.split(whereSeparator: \.isNewline).map(String.init).filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
    }

    /// Train and val rows of `config.data` with `tokenizer`; bos/eos/pad are the tokenizer's special tokens named
    /// by the config.
    static func load(config: TrainConfig, tokenizer: any Tokenizer) throws -> (train: PaddedDocumentRows, val: PaddedDocumentRows) {
        func special(_ key: String, _ token: String) throws -> Int {
            guard let id = tokenizer.specialTokens[token] else {
                throw ConfigError("\(key) '\(token)' is not a special token of the tokenizer (it has: \(tokenizer.specialTokens.keys.sorted().joined(separator: ", ")))")
            }
            return id
        }
        let bos = try special("bos_token", config.bosToken), eos = try special("eos_token", config.eosToken)
        let pad = try special("pad_token", config.padToken)
        let documents = try read(config.data)
        let valCount = TrainValSplit.valCount(of: documents.count, valFraction: config.valFraction)
        guard documents.count - valCount >= 1 else {
            throw ConfigError("data: \(config.data) has \(documents.count) documents; padded rows need at least one to train on and \(valCount) to validate")
        }
        let ids = documents.map { tokenizer.encode($0) }
        let length = config.blockSize + 1
        return (PaddedDocumentRows(documents: Array(ids.dropLast(valCount)), rowLength: length, bos: bos, eos: eos, pad: pad),
                PaddedDocumentRows(documents: Array(ids.suffix(valCount)), rowLength: length, bos: bos, eos: eos, pad: pad))
    }
}
