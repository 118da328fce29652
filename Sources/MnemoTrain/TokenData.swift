// TokenData.swift — the token streams a run trains and evaluates on, and how batches are drawn from them:
// nanoGPT's random windows for training and for the loss estimate, and a deterministic pass over all of val.
import Foundation
import MnemoData
import Torch

/// One split's tokens: in memory (raw text tokenized at start) or memory-mapped shards (`mnemo data prepare`).
/// Batches come from MnemoData's loaders; the trainer checks at start that each split is longer than a window.
public struct TokenSplit: Sendable {
    public let tokens: any TokenSource
    /// Padded document rows (`data_layout = "padded"`) instead of windows of a token stream.
    public let rows: PaddedRows?
    public init(tokens: any TokenSource) { self.tokens = tokens; rows = nil }
    public init(rows: PaddedRows) { self.rows = rows; tokens = [Int]() }

    /// Tokens in the split (padded rows: rows × (block_size + 1), padding included).
    public var count: Int { rows?.ids.count ?? tokens.count }

    /// nanoGPT's get_batch: B random windows, x and y (B, T) int64 on `device`; with padded rows, B random rows
    /// (one randint draw either way), y = -1 on padding. With `ranks` > 1 the draw covers all ranks' windows and
    /// this rank keeps its share (RandomWindowLoader.batch).
    public func randomBatch(batchSize b: Int, blockSize t: Int, generator: Generator,
                            device: Device = .cpu, rank: Int = 0, ranks: Int = 1) -> (x: Tensor, y: Tensor) {
        if let rows {
            let picks = Tensor.randint(0, rows.rows, [b * ranks], generator: generator).toArray(Int64.self)
                .map { Int($0) }[(rank * b)..<((rank + 1) * b)]
            return rows.batch(Array(picks), device: device)
        }
        do { return try RandomWindowLoader(tokens).batch(b, t, generator: generator, device: device, rank: rank, ranks: ranks) }
        catch { preconditionFailure("\(error)") }
    }

    /// The mean of `loss` over one deterministic pass in consecutive windows (EvaluationBatches), weighted by
    /// tokens, without autograd.
    public func fullPassLoss(batchSize b: Int, blockSize t: Int, device: Device = .cpu,
                             _ loss: (Tensor, Tensor) -> Tensor) -> Double {
        let sums = fullPassSums(batchSize: b, blockSize: t, device: device, loss)
        return sums.total / Swift.max(sums.tokens, 1)
    }

    /// The token-weighted loss sum and the token count of the full pass, over the batches i with i % ranks == rank
    /// (data parallel: the ranks split the pass, and the sums add up to the one-process pass).
    public func fullPassSums(batchSize b: Int, blockSize t: Int, device: Device = .cpu, rank: Int = 0, ranks: Int = 1,
                             _ loss: (Tensor, Tensor) -> Tensor) -> (total: Double, tokens: Double) {
        withNoGrad {
            var total = 0.0, tokens = 0
            if let rows {   // every row once, weighted by its targets that are not padding
                for (i, start) in stride(from: 0, to: rows.rows, by: b).enumerated() where i % ranks == rank {
                    let (x, y) = rows.batch(Array(start..<Swift.min(start + b, rows.rows)), device: device)
                    let counted = (y .!= -1).sum(dtype: .int64).itemInt()
                    if counted > 0 { total += loss(x, y).item() * Double(counted); tokens += counted }
                }
                return (total, Double(tokens))
            }
            do {
                for (x, y) in try EvaluationBatches(self.tokens, batchSize: b, blockSize: t, rank: rank, worldSize: ranks,
                                                    device: device) {
                    total += loss(x, y).item() * Double(x.count)
                    tokens += x.count
                }
            } catch { preconditionFailure("\(error)") }
            return (total, Double(tokens))
        }
    }
}

/// The train and val splits with the tokenizer that made them.
public struct TokenData {
    public let train: TokenSplit
    public let val: TokenSplit
    public let tokenizer: any Tokenizer
    /// How to rebuild the tokenizer for sampling: "char" (vocabulary saved in the run) or a TokenizerSpec's text
    /// ("char:PATH", "gpt2:DIR", "hf:PATH"; also "huggingface:PATH" as the config spelled it).
    public let tokenizerSpec: String

    /// Tokenizes a text file as nanoGPT's prepare.py: the first (1 - valFraction) of the characters train, the
    /// rest validate. "char" builds the vocabulary from the whole text (sorted set of characters).
    public static func load(config: TrainConfig) throws -> TokenData {
        let path = config.data
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ConfigError("data: \(path) does not exist; set data to a text file or a folder made by `mnemo data prepare`")
        }
        if isDirectory.boolValue {
            guard config.dataLayout == "packed" else {
                throw ConfigError("data_layout = \"\(config.dataLayout)\" needs a .jsonl or text file of documents, not a prepared folder")
            }
            return try loadPrepared(folder: path, config: config)
        }
        if config.dataLayout == "packed" && path.lowercased().hasSuffix(".jsonl") { return try loadPackedDocuments(config: config) }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ConfigError("data: \(path) is not UTF-8 text")
        }
        guard !text.isEmpty else { throw ConfigError("data: \(path) is empty; there is nothing to train on") }
        let tokenizer = try makeTokenizer(spec: config.tokenizer, corpus: text)
        if config.dataLayout == "padded" {
            let (train, val) = try PaddedDocuments.load(config: config, tokenizer: tokenizer)
            return TokenData(train: TokenSplit(rows: train), val: TokenSplit(rows: val), tokenizer: tokenizer,
                             tokenizerSpec: config.tokenizer)
        }
        let chars = Array(text.unicodeScalars)
        let cut = Int(Double(chars.count) * (1 - config.valFraction))
        var trainText = String.UnicodeScalarView(), valText = String.UnicodeScalarView()
        trainText.append(contentsOf: chars[..<cut])
        valText.append(contentsOf: chars[cut...])
        let train = tokenizer.encode(String(trainText))
        let val = tokenizer.encode(String(valText))
        return TokenData(train: TokenSplit(tokens: train), val: TokenSplit(tokens: val), tokenizer: tokenizer,
                         tokenizerSpec: config.tokenizer)
    }

    /// A .jsonl of documents ({"text": …} per line) packed into one stream: each document framed as the tokenizer
    /// allows — bos + text + eos when it has the config's bos_token and eos_token (MiniMind), else text + its
    /// end-of-text token (GPT-2), else text + a newline — the last val_fraction of the documents validating.
    static func loadPackedDocuments(config: TrainConfig) throws -> TokenData {
        let documents = try PaddedDocuments.read(config.data)
        guard !documents.isEmpty else { throw ConfigError("data: \(config.data) has no documents; there is nothing to train on") }
        let tokenizer = try makeTokenizer(spec: config.tokenizer, corpus: documents.joined(separator: "\n"))
        let special = tokenizer.specialTokens
        let frame: ([Int]) -> [Int]
        if let bos = special[config.bosToken], let eos = special[config.eosToken] {
            frame = { [bos] + $0 + [eos] }
        } else if let end = tokenizer.endOfText {
            frame = { $0 + [end] }
        } else {
            let newline = tokenizer.encode("\n")
            frame = { $0 + newline }
        }
        let framed = documents.map { frame(tokenizer.encode($0)) }
        let valCount = Swift.min(documents.count - 1, Int((Double(documents.count) * config.valFraction).rounded(.up)))
        guard valCount >= 1 else { throw ConfigError("data: \(config.data) has \(documents.count) document(s); packing needs at least one to train on and one to validate") }
        return TokenData(train: TokenSplit(tokens: Array(framed.dropLast(valCount).joined())),
                         val: TokenSplit(tokens: Array(framed.suffix(valCount).joined())), tokenizer: tokenizer,
                         tokenizerSpec: config.tokenizer)
    }

    /// The config's `tokenizer` for a text file: `char` builds the vocabulary from `corpus`; anything else is a spec.
    static func makeTokenizer(spec: String, corpus: String) throws -> any Tokenizer {
        let choice: DataPrepare.TokenizerChoice
        do { choice = try DataPrepare.TokenizerChoice(parsing: spec) } catch {
            throw ConfigError("tokenizer '\(spec)': \(error.message); \(error.hint ?? DataPrepare.TokenizerChoice.usage)")
        }
        switch choice {
        case .charFromCorpus: return CharTokenizer(corpus: corpus)
        case .spec(let parsed): return try loadTokenizer(parsed)
        }
    }

    /// A tokenizer from a "gpt2:DIR" / "hf:PATH" (or "huggingface:PATH") / "char:PATH" spec (MnemoData's
    /// TokenizerSpec reads it, as it does for `mnemo data prepare`).
    public static func tokenizer(spec: String) throws -> any Tokenizer {
        do { return try loadTokenizer(TokenizerSpec(parsing: spec)) } catch let error as TokenDataError {
            throw ConfigError("tokenizer '\(spec)': \(error.message); \(error.hint ?? TokenizerSpec.usage)")
        }
    }

    /// A folder written by `mnemo data prepare`: meta.json, train_*.bin / val_*.bin shards and the tokenizer's files.
    static func loadPrepared(folder: String, config: TrainConfig) throws -> TokenData {
        let metaPath = "\(folder)/meta.json"
        guard let metaData = FileManager.default.contents(atPath: metaPath),
              let meta = try? JSONDecoder().decode(DataPrepare.Summary.self, from: metaData) else {
            throw ConfigError("data: \(folder) is a folder but has no readable meta.json; make it with `mnemo data prepare`")
        }
        let spec: TokenizerSpec
        do {
            spec = try TokenizerSpec(preparedKind: meta.tokenizer.kind, folder: folder, files: meta.tokenizer.files)
        } catch {
            throw ConfigError("data: \(error)")
        }
        let tokenizer = try loadTokenizer(spec)
        guard meta.splits["val"] != nil else {
            throw ConfigError("data: \(folder) has no val split; prepare it with --val-fraction above 0")
        }
        return TokenData(train: TokenSplit(tokens: try ShardedTokens(directory: folder, split: "train")),
                         val: TokenSplit(tokens: try ShardedTokens(directory: folder, split: "val")),
                         tokenizer: tokenizer, tokenizerSpec: spec.text)
    }
}
