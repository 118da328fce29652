// TokenData.swift — a run's train and val batch sources (MnemoData's BatchSource) and the tokenizer that made them,
// from the config's data: a text file (tokenized at start, cut by characters), a .jsonl of documents (packed into
// one stream, or one padded row per document with data_layout = "padded"), a folder of llm.c shards from
// `mnemo data prepare`, or a generated task ("modular:OP:P", "recall"). Every cut follows TrainValSplit: the first ⌊n·(1 − val_fraction)⌋ items train.
import Foundation
import MnemoData
import Torch

/// The train and val splits with the tokenizer that made them.
public struct TokenData {
    public let train: any BatchSource
    public let val: any BatchSource
    public let tokenizer: any Tokenizer
    /// How to rebuild the tokenizer for sampling: "char" (vocabulary saved in the run) or a TokenizerSpec's text
    /// ("char:PATH", "gpt2:DIR", "hf:PATH"; also "huggingface:PATH" as the config spelled it).
    public let tokenizerSpec: String

    /// Tokenizes a text file as nanoGPT's prepare.py: the first (1 - valFraction) of the characters train, the
    /// rest validate. "char" builds the vocabulary from the whole text (sorted set of characters).
    public static func load(config: TrainConfig) throws -> TokenData {
        let path = config.data
        if path.hasPrefix("modular:") { return try loadModularArithmetic(config: config) }
        if path == "recall" || path.hasPrefix("recall:") { return try loadRecall(config: config) }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ConfigError("data: \(path) does not exist; set data to a text file or a folder made by `mnemo data prepare`")
        }
        if isDirectory.boolValue {
            guard config.dataLayout == .packed else {
                throw ConfigError("data_layout = \"\(config.dataLayout.rawValue)\" needs a .jsonl or text file of documents, not a prepared folder")
            }
            return try loadPrepared(folder: path, config: config)
        }
        if config.dataLayout == .packed && path.lowercased().hasSuffix(".jsonl") { return try loadPackedDocuments(config: config) }
        if config.dataLayout == .preference { return try loadPreferencePairs(config: config) }
        if config.dataLayout == .chat { return try loadChat(config: config) }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ConfigError("data: \(path) is not UTF-8 text")
        }
        guard !text.isEmpty else { throw ConfigError("data: \(path) is empty; there is nothing to train on") }
        let tokenizer = try makeTokenizer(spec: config.tokenizer, corpus: text)
        if config.dataLayout == .padded {
            let (train, val) = try PaddedDocuments.load(config: config, tokenizer: tokenizer)
            return TokenData(train: train, val: val, tokenizer: tokenizer,
                             tokenizerSpec: config.tokenizer)
        }
        let chars = Array(text.unicodeScalars)
        let cut = TrainValSplit.trainCount(of: chars.count, valFraction: config.valFraction)
        var trainText = String.UnicodeScalarView(), valText = String.UnicodeScalarView()
        trainText.append(contentsOf: chars[..<cut])
        valText.append(contentsOf: chars[cut...])
        let train = tokenizer.encode(String(trainText))
        let val = tokenizer.encode(String(valText))
        let t = config.blockSize
        return TokenData(train: TokenWindows(train, length: t), val: TokenWindows(val, length: t), tokenizer: tokenizer,
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
        let valCount = TrainValSplit.valCount(of: documents.count, valFraction: config.valFraction)
        guard valCount >= 1 && valCount < documents.count else { throw ConfigError("data: \(config.data) has \(documents.count) document(s); packing with val_fraction \(config.valFraction) needs at least one to train on and one to validate") }
        let t = config.blockSize
        return TokenData(train: TokenWindows(Array(framed.dropLast(valCount).joined()), length: t),
                         val: TokenWindows(Array(framed.suffix(valCount).joined()), length: t), tokenizer: tokenizer,
                         tokenizerSpec: config.tokenizer)
    }

    /// The grokking task (ModularArithmetic's "modular:OP:P"): full batches of token pairs, the numbers' tokenizer, the
    /// split drawn with data_seed.
    static func loadModularArithmetic(config: TrainConfig) throws -> TokenData {
        guard let (operation, p) = ModularArithmetic.parse(spec: config.data) else {
            throw ConfigError("data '\(config.data)': use \(ModularArithmetic.specUsage)")
        }
        guard config.valFraction > 0 && config.valFraction < 1 else {
            throw ConfigError("data '\(config.data)' needs a test set: val_fraction must be in (0, 1), got \(config.valFraction)")
        }
        let task = ModularArithmetic(p: p, operation: operation, trainFraction: 1 - config.valFraction,
                                     seed: UInt64(bitPattern: Int64(config.dataSeed)))
        let tokenizer = NumberTokenizer(count: p)
        return TokenData(train: task.trainBatch, val: task.testBatch, tokenizer: tokenizer, tokenizerSpec: tokenizer.spec)
    }

    /// The associative-recall stream (RecallStream's "recall[:KEYS:VALUES]"): chunks of block_size tokens, batch_size
    /// parallel streams fed in order (SequentialChunks) — train endless from data_seed, val 32 chunks of other streams —
    /// and the numbers' tokenizer over its vocabulary.
    static func loadRecall(config: TrainConfig) throws -> TokenData {
        guard let layout = RecallStream.parse(spec: config.data, chunkLength: config.blockSize) else {
            throw ConfigError("data '\(config.data)': use \(RecallStream.specUsage)")
        }
        if let problem = layout.problem { throw ConfigError("data '\(config.data)': \(problem)") }
        let (train, val) = RecallStream.splits(layout, streams: config.batchSize, valChunks: recallValChunks,
                                               seed: UInt64(bitPattern: Int64(config.dataSeed)))
        let tokenizer = NumberTokenizer(count: layout.vocabularySize)
        return TokenData(train: train, val: val, tokenizer: tokenizer, tokenizerSpec: tokenizer.spec)
    }

    /// Chunks of every val stream of the recall task.
    public static let recallValChunks = 32

    /// Preference pairs (PreferencePairs: a .jsonl of {"prompt", "chosen", "rejected"}), split by pairs.
    static func loadPreferencePairs(config: TrainConfig) throws -> TokenData {
        guard let raw = FileManager.default.contents(atPath: config.data) else { throw ConfigError("data: cannot read \(config.data)") }
        let tokenizer = try makeTokenizer(spec: config.tokenizer, corpus: String(decoding: raw, as: UTF8.self))
        // messages pairs are rendered by the run's chat format (when the tokenizer can take it)
        let format = try? chatFormat(config.chatTemplate, tokenizerSpec: config.tokenizer, tokenizer: tokenizer)
        let end = tokenizer.endOfText ?? tokenizer.specialTokens[config.eosToken]
        let pairs: [(prompt: [Int], chosen: [Int], rejected: [Int])]
        do {
            pairs = try PreferencePairs.read(config.data, format: format, endOfText: end, encode: { tokenizer.encode($0) },
                                             encodeRendered: { tokenizer.encode($0, allowedSpecial: .all) })
        } catch { throw ConfigError("data: \(error)") }
        let valCount = TrainValSplit.valCount(of: pairs.count, valFraction: config.valFraction)
        guard valCount >= 1 && valCount < pairs.count else {
            throw ConfigError("data: \(config.data) has \(pairs.count) pair(s); with val_fraction \(config.valFraction) DPO needs at least one to train on and one to validate")
        }
        let pad = tokenizer.specialTokens[config.padToken] ?? 0
        let length = config.blockSize + 1
        return TokenData(train: PreferencePairs(Array(pairs.dropLast(valCount)), rowLength: length, pad: pad),
                         val: PreferencePairs(Array(pairs.suffix(valCount)), rowLength: length, pad: pad),
                         tokenizer: tokenizer, tokenizerSpec: config.tokenizer)
    }

    /// The chat format a run names: the built-in ChatML (the tokenizer must have <|im_start|> and <|im_end|>), the
    /// tokenizer folder's tokenizer_config.json ("tokenizer"), or a tokenizer_config.json by path.
    public static func chatFormat(_ name: String, tokenizerSpec: String, tokenizer: any Tokenizer) throws -> ChatFormat {
        switch name {
        case "chatml":
            guard tokenizer.specialTokens["<|im_start|>"] != nil, tokenizer.specialTokens["<|im_end|>"] != nil else {
                throw ConfigError("chat_template = \"chatml\" needs a tokenizer with the special tokens <|im_start|> and <|im_end|> (MiniMind's has them); or name the tokenizer's own template: chat_template = \"tokenizer\"")
            }
            return .chatML
        case "tokenizer":
            let spec = try? TokenizerSpec(parsing: tokenizerSpec)
            guard case .huggingFace(let path)? = spec else {
                throw ConfigError("chat_template = \"tokenizer\" reads the tokenizer_config.json beside an hf:…/tokenizer.json tokenizer; this run's tokenizer is \(tokenizerSpec)")
            }
            return try chatFormat((path as NSString).deletingLastPathComponent + "/tokenizer_config.json", tokenizerSpec: tokenizerSpec, tokenizer: tokenizer)
        default:
            do { return try ChatFormat.tokenizerConfig(name) } catch { throw ConfigError("chat_template: \(error)") }
        }
    }

    /// Chat or instruction data (ChatRows) rendered by the run's chat format.
    static func loadChat(config: TrainConfig) throws -> TokenData {
        let tokenizer = try tokenizer(spec: config.tokenizer)
        let format = try chatFormat(config.chatTemplate, tokenizerSpec: config.tokenizer, tokenizer: tokenizer)
        let conversations: [[ChatMessage]]
        do { conversations = try ChatRows.read(config.data) } catch { throw ConfigError("data: \(error)") }
        let valCount = TrainValSplit.valCount(of: conversations.count, valFraction: config.valFraction)
        guard valCount >= 1 && valCount < conversations.count else {
            throw ConfigError("data: \(config.data) has \(conversations.count) conversation(s); with val_fraction \(config.valFraction) SFT needs at least one to train on and one to validate")
        }
        let pad = tokenizer.specialTokens[config.padToken] ?? 0, length = config.blockSize + 1
        func rows(_ part: [[ChatMessage]]) throws -> ChatRows {
            do { return try ChatRows(part, format: format, rowLength: length, pad: pad) { tokenizer.encode($0, allowedSpecial: .all) } }
            catch { throw ConfigError("data: \(config.data): \(error)") }
        }
        return TokenData(train: try rows(Array(conversations.dropLast(valCount))), val: try rows(Array(conversations.suffix(valCount))),
                         tokenizer: tokenizer, tokenizerSpec: config.tokenizer)
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
        let t = config.blockSize
        return TokenData(train: TokenWindows(try ShardedTokens(directory: folder, split: "train"), length: t),
                         val: TokenWindows(try ShardedTokens(directory: folder, split: "val"), length: t),
                         tokenizer: tokenizer, tokenizerSpec: spec.text)
    }
}
