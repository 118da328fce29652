// PaddedDocuments.swift — MiniMind's pretraining layout (`data_layout = "padded"`): one row per document,
// bos + text + eos, cut or padded to block_size + 1 tokens; x = row[:-1], y = row[1:], and the loss ignores the
// positions whose target is padding (MiniMind's `loss_mask = Y != pad_id`). The default layout, "packed", is
// nanoGPT's: documents run together and windows are cut anywhere — faster (no padding computed), and what the
// presets use unless they say otherwise.
//
// Input: a .jsonl file of {"text": …} objects (MiniMind's pretrain_hq.jsonl), or a text file whose non-empty lines
// are the documents. The last `val_fraction` of the documents validate.
import Foundation
import MnemoData
import Torch

/// Fixed-length rows of token ids (rows × (block + 1)), padding marked by `pad`.
public struct PaddedRows: Sendable {
    public let ids: [Int32]
    public let rowLength: Int      // block_size + 1
    public let pad: Int
    public var rows: Int { ids.count / rowLength }

    /// Rows of `documents` (already split): bos + ids + eos, cut to `rowLength`, padded with `pad`.
    public init(documents: [[Int]], rowLength: Int, bos: Int, eos: Int, pad: Int) {
        var ids: [Int32] = []
        ids.reserveCapacity(documents.count * rowLength)
        for doc in documents {
            let row = ([bos] + doc + [eos]).prefix(rowLength)
            ids += row.map(Int32.init)
            ids += Array(repeating: Int32(pad), count: rowLength - row.count)
        }
        self.ids = ids
        self.rowLength = rowLength
        self.pad = pad
    }

    /// x (B, T) and y (B, T) of rows `indices`, y = -1 where its token is padding; int64 on `device`.
    public func batch(_ indices: [Int], device: Device) -> (x: Tensor, y: Tensor) {
        let t = rowLength - 1
        var x: [Int64] = [], y: [Int64] = []
        x.reserveCapacity(indices.count * t); y.reserveCapacity(indices.count * t)
        for r in indices {
            let row = ids[(r * rowLength)..<((r + 1) * rowLength)]
            x += row.dropLast().map(Int64.init)
            y += row.dropFirst().map { Int($0) == pad ? -1 : Int64($0) }
        }
        return (Tensor(x, shape: [indices.count, t], device: device), Tensor(y, shape: [indices.count, t], device: device))
    }
}

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
    static func load(config: TrainConfig, tokenizer: any Tokenizer) throws -> (train: PaddedRows, val: PaddedRows) {
        func special(_ key: String, _ token: String) throws -> Int {
            guard let id = tokenizer.specialTokens[token] else {
                throw ConfigError("\(key) '\(token)' is not a special token of the tokenizer (it has: \(tokenizer.specialTokens.keys.sorted().joined(separator: ", ")))")
            }
            return id
        }
        let bos = try special("bos_token", config.bosToken), eos = try special("eos_token", config.eosToken)
        let pad = try special("pad_token", config.padToken)
        let documents = try read(config.data)
        let valCount = Int((Double(documents.count) * config.valFraction).rounded(.up))
        guard documents.count - valCount >= 1 else {
            throw ConfigError("data: \(config.data) has \(documents.count) documents; padded rows need at least one to train on and \(valCount) to validate")
        }
        let ids = documents.map { tokenizer.encode($0) }
        let length = config.blockSize + 1
        return (PaddedRows(documents: Array(ids.dropLast(valCount)), rowLength: length, bos: bos, eos: eos, pad: pad),
                PaddedRows(documents: Array(ids.suffix(valCount)), rowLength: length, bos: bos, eos: eos, pad: pad))
    }
}
