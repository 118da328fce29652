// DataPrepare.swift — text and jsonl corpora to token shards: what `mnemo data prepare` does.
//
// Inputs are read in the order given. A file ending in `.jsonl` holds one document per line, each a JSON object
// with a string "text" (other fields are ignored; blank lines are skipped; a document whose text is empty is
// skipped); any other file is plain UTF-8 text, one document.
//
// The split follows nanoGPT where nanoGPT has a rule:
//   - a text file is cut by characters (Unicode scalars, as Python counts them): the first ⌊n·(1 − f)⌋ go to
//     train and the rest to val (f = valFraction, 0.1 by default; tinyshakespeare gives 1,003,854 / 111,540);
//   - the jsonl documents of all inputs, in order, are cut by count: the first ⌊m·(1 − f)⌋ go to train, the
//     last ones to val.
// Each split is a stream of documents in input order (text parts are documents too); consecutive documents are
// separated by the tokenizer's endOfText when it has one (nothing otherwise). A single text file therefore
// gives exactly nanoGPT's `encode(train_text)` / `encode(val_text)` with no separator.
//
// Output, in the folder `--out`: `train_000000.bin`, … and `val_000000.bin`, … (llm.c shards of at most
// `shardSize` tokens; uint16 when every id fits, uint32 otherwise — see TokenShard.swift), the tokenizer's
// files, and `meta.json` (tokenizer kind, vocabulary size, token format, counts per split, sources). Every file
// is replaced atomically; shards of an earlier run that this run did not write (`train_000007.bin` after a
// smaller re-run) are removed, so a loader never mixes two runs. `meta.json` is removed first and written last:
// a folder without it holds an unfinished or failed run.
//
// Refused, with the file (and line) and a hint: a missing or unreadable input, text that is not UTF-8, a
// malformed jsonl line, a corpus with no text, an empty train split, an empty val split when valFraction > 0,
// a valFraction outside [0, 1), a shard size outside 1...2,147,483,647. Memory: each input is read whole, and
// a text file's part is encoded as one text (the tokenizer's concurrent encoder cuts it only where the ids
// cannot change), so budget a few times the largest input. Small documents are encoded in batches on
// `threads` threads. A split that takes more than a few seconds to encode logs its progress: bytes encoded of the
// split's total, tokens so far and an ETA (ProgressReporter).

import Foundation
import MnemoSupport

public enum DataPrepare {
    /// Where and how to write.
    public struct Options: Sendable {
        public var outputDirectory: String
        /// The fraction of a text file's characters, and of the jsonl documents, that goes to val (0 ≤ f < 1).
        public var valFraction: Double
        /// The most tokens in one shard file.
        public var shardSize: Int
        /// Which special-token strings in the text become their ids: `.none` is tiktoken's encode_ordinary (what
        /// nanoGPT and llm.c do); `.all` is what a Hugging Face tokenizer's `encode` does with its added tokens.
        public var specialTokens: SpecialTokenPolicy
        /// Threads for encoding (the tokenizer's concurrent encoders).
        public var threads: Int
        /// Encoding a split that takes longer than `progressAfter` seconds logs a progress line (bytes encoded of
        /// the split's total, tokens so far, ETA) then and every `progressEvery` seconds.
        public var progressAfter: Double = 5
        public var progressEvery: Double = 10

        public init(outputDirectory: String, valFraction: Double = 0.1, shardSize: Int = 100_000_000,
                    specialTokens: SpecialTokenPolicy = .none, threads: Int = defaultEncodingThreads) {
            self.outputDirectory = outputDirectory
            self.valFraction = valFraction
            self.shardSize = shardSize
            self.specialTokens = specialTokens
            self.threads = threads
        }
    }

    /// One input file, read.
    public struct Source: Sendable {
        public enum Kind: String, Sendable, Codable { case text, jsonl }
        public var path: String
        public var kind: Kind
        /// A text file's whole contents (one document), or a jsonl file's non-empty texts.
        public var documents: [String]
        public var byteCount: Int
    }

    /// The inputs, read and checked, before any tokenizer is involved.
    public struct Corpus: Sendable {
        public var sources: [Source]

        /// Every document in input order, concatenated: what a character-level vocabulary is built from.
        public var text: String { sources.lazy.flatMap(\.documents).joined() }
    }

    /// A tokenizer and the files that describe it, to be written beside the shards.
    public struct PreparedTokenizer {
        public var tokenizer: any Tokenizer
        /// "char", "gpt2", "huggingface", … (recorded in meta.json).
        public var kind: String
        /// File name in the output folder → contents (e.g. "tokenizer.json", or "encoder.json" + "vocab.bpe").
        public var files: [String: Data]

        public init(_ tokenizer: any Tokenizer, kind: String, files: [String: Data]) {
            self.tokenizer = tokenizer
            self.kind = kind
            self.files = files
        }
    }

    /// What was written; also the contents of `meta.json`.
    public struct Summary: Codable, Sendable, Equatable {
        public struct TokenizerRecord: Codable, Sendable, Equatable {
            public var kind: String
            public var vocabularySize: Int
            public var endOfText: Int?
            /// The tokenizer's files, in the output folder.
            public var files: [String]
            enum CodingKeys: String, CodingKey {
                case kind, files
                case vocabularySize = "vocab_size"
                case endOfText = "end_of_text"
            }
        }
        public struct SplitRecord: Codable, Sendable, Equatable {
            public var tokens: Int
            public var documents: Int
            /// Shard file names, in order.
            public var shards: [String]
        }
        public struct SourceRecord: Codable, Sendable, Equatable {
            public var path: String
            public var kind: Source.Kind
            public var documents: Int
            public var bytes: Int
        }

        public var tokenizer: TokenizerRecord
        /// Token width of the shards ("uint16" or "uint32").
        public var tokenFormat: TokenShardFormat
        public var valFraction: Double
        public var shardSize: Int
        /// "none" when special-token strings were encoded as plain text, "allowed" when they became their ids.
        public var specialTokens: String
        /// "train" and, when valFraction > 0, "val".
        public var splits: [String: SplitRecord]
        public var sources: [SourceRecord]

        enum CodingKeys: String, CodingKey {
            case tokenizer, splits, sources
            case tokenFormat = "token_format"
            case valFraction = "val_fraction"
            case shardSize = "shard_size"
            case specialTokens = "special_tokens"
        }
    }

    /// The name of the summary file in the output folder.
    public static let metaFileName = "meta.json"

    // MARK: - Reading

    /// Reads and checks every input (missing files, UTF-8, jsonl lines); throws on the first problem found.
    public static func readCorpus(_ paths: [String]) throws(TokenDataError) -> Corpus {
        guard !paths.isEmpty else {
            throw TokenDataError(.emptyCorpus, "no input files", hint: "give one or more text or .jsonl files")
        }
        var sources: [Source] = []
        for path in paths {
            let data = try readFile(path)
            if path.lowercased().hasSuffix(".jsonl") {
                sources.append(Source(path: path, kind: .jsonl, documents: try jsonlDocuments(data, file: path),
                                      byteCount: data.count))
            } else {
                guard let text = String(data: data, encoding: .utf8) else {
                    throw TokenDataError(.malformedInput, file: path, "the file is not valid UTF-8 text",
                                         hint: "convert it to UTF-8 (e.g. `iconv -t UTF-8`)")
                }
                sources.append(Source(path: path, kind: .text, documents: text.isEmpty ? [] : [text],
                                      byteCount: data.count))
            }
        }
        guard sources.contains(where: { !$0.documents.isEmpty }) else {
            throw TokenDataError(.emptyCorpus, file: paths.count == 1 ? paths[0] : nil,
                                 "the input\(paths.count == 1 ? " holds" : "s hold") no text",
                                 hint: "text files must not be empty; jsonl lines must have a non-empty \"text\"")
        }
        return Corpus(sources: sources)
    }

    /// The non-empty "text" of each non-blank line.
    static func jsonlDocuments(_ data: Data, file: String) throws(TokenDataError) -> [String] {
        do {
            return try data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) throws(TokenDataError) in
                try jsonlDocuments(bytes, file: file)
            }
        } catch let error as TokenDataError {
            throw error
        } catch {
            throw TokenDataError(.io, file: file, "cannot read the file: \(error)")
        }
    }

    private static func jsonlDocuments(_ bytes: UnsafeRawBufferPointer, file: String) throws(TokenDataError) -> [String] {
        var documents: [String] = []
        var lineStart = 0
        var lineNumber = 0
        // Skip a UTF-8 byte-order mark.
        if bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF { lineStart = 3 }
        while lineStart < bytes.count {
            lineNumber += 1
            var lineEnd = lineStart
            while lineEnd < bytes.count && bytes[lineEnd] != 0x0A { lineEnd += 1 }
            defer { lineStart = lineEnd + 1 }
            var first = lineStart, last = lineEnd
            while first < last && isJSONSpace(bytes[first]) { first += 1 }
            while last > first && isJSONSpace(bytes[last - 1]) { last -= 1 }
            if first == last { continue }  // a blank line
            // From the line's first byte, so that an error's column counts as an editor does.
            let line = UnsafeRawBufferPointer(rebasing: bytes[lineStart..<last])
            let text = try jsonlText(line, preview: UnsafeRawBufferPointer(rebasing: bytes[first..<last]), file: file, line: lineNumber)
            if !text.isEmpty { documents.append(text) }
        }
        return documents
    }

    private static func jsonlText(_ line: UnsafeRawBufferPointer, preview: UnsafeRawBufferPointer, file: String,
                                  line number: Int) throws(TokenDataError) -> String {
        let hint = "each line must be one JSON object with a string \"text\", e.g. {\"text\": \"Once upon a time\"}"
        let value: JSONValue
        do {
            // .python: jsonl corpora come from Python tools (json.dumps, datasets), which may write NaN or Infinity in
            // other fields; a duplicate "text" counts as Python counts it, the last one.
            value = try JSONParser.parseFile(line, options: .python)
        } catch {
            let shown = String(decoding: preview.prefix(60), as: UTF8.self) + (preview.count > 60 ? "…" : "")
            let column = error.column.map { " at column \($0)" } ?? ""
            guard let syntax = error.syntax else {
                throw TokenDataError(.malformedInput, file: file, line: number, "not UTF-8 text\(column)",
                                     hint: "convert the file to UTF-8 (e.g. `iconv -t UTF-8`)")
            }
            let cut = syntax.atEnd ? " (the line stops in the middle of a value)" : ""
            throw TokenDataError(.malformedInput, file: file, line: number,
                                 "not valid JSON\(column): \(syntax.message)\(cut): \(shown)", hint: hint)
        }
        guard let object = value.object else {
            throw TokenDataError(.malformedInput, file: file, line: number,
                                 "expected a JSON object, found \(value.kindName)", hint: hint)
        }
        guard let field = value["text"] else {
            let keys = Set(object.map(\.key)).sorted().prefix(6).map { "\"\($0)\"" }.joined(separator: ", ")
            throw TokenDataError(.malformedInput, file: file, line: number,
                                 "the object has no \"text\" field" + (keys.isEmpty ? "" : " (it has \(keys))"), hint: hint)
        }
        guard let text = field.string else {
            throw TokenDataError(.malformedInput, file: file, line: number,
                                 "\"text\" is \(field.kindName), not a string", hint: hint)
        }
        return text
    }

    private static func isJSONSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A
    }

    static func readFile(_ path: String) throws(TokenDataError) -> Data {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw TokenDataError(.missingFile, file: path, "no such file", hint: "check the path")
        }
        guard !isFolder.boolValue else {
            throw TokenDataError(.io, file: path, "is a folder", hint: "give text or .jsonl files, not folders")
        }
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe)
        } catch {
            throw TokenDataError(.io, file: path, "cannot read the file: \(error.localizedDescription)")
        }
    }

    // MARK: - Splitting, encoding, writing

    /// The documents of each split, in stream order.
    struct Split {
        var train: [String] = []
        var val: [String] = []
    }

    /// nanoGPT's cut (TrainValSplit): text files by characters, jsonl documents by count (see the file header).
    static func split(_ corpus: Corpus, valFraction: Double) -> Split {
        var result = Split()
        let jsonlCount = corpus.sources.filter { $0.kind == .jsonl }.reduce(0) { $0 + $1.documents.count }
        let jsonlTrain = TrainValSplit.trainCount(of: jsonlCount, valFraction: valFraction)
        var jsonlSeen = 0
        for source in corpus.sources {
            switch source.kind {
            case .text:
                for text in source.documents {
                    let scalars = text.unicodeScalars
                    let cut = scalars.index(scalars.startIndex,
                                            offsetBy: TrainValSplit.trainCount(of: scalars.count, valFraction: valFraction))
                    let head = String(scalars[..<cut]), tail = String(scalars[cut...])
                    if !head.isEmpty { result.train.append(head) }
                    if !tail.isEmpty { result.val.append(tail) }
                }
            case .jsonl:
                for document in source.documents {
                    if jsonlSeen < jsonlTrain { result.train.append(document) } else { result.val.append(document) }
                    jsonlSeen += 1
                }
            }
        }
        return result
    }

    /// Splits, encodes and writes everything (see the file header). `log` receives one line per step, and progress
    /// lines while a split takes more than `options.progressAfter` seconds to encode.
    @discardableResult
    public static func prepare(_ corpus: Corpus, tokenizer prepared: PreparedTokenizer, options: Options,
                               log: @escaping (String) -> Void = { _ in }) throws(TokenDataError) -> Summary {
        let f = options.valFraction
        guard f >= 0 && f < 1 else {
            throw TokenDataError(.invalidOption, "the validation fraction \(f) is not in [0, 1)",
                                 hint: "0.1 keeps the last 10% for validation; 0 writes no val split")
        }
        guard options.shardSize >= 1 && options.shardSize <= TokenShard.maxTokenCount else {
            throw TokenDataError(.invalidOption, "the shard size \(options.shardSize) is not in 1...\(TokenShard.maxTokenCount)",
                                 hint: "shards are limited by the header's int32 token count")
        }
        let tokenizer = prepared.tokenizer
        let vocabularySize = tokenizer.vocabularySize
        let format = TokenShardFormat.fitting(vocabularySize: vocabularySize)
        if format == .uint32 {
            log("the vocabulary has \(groupedThousands(vocabularySize)) ids, more than uint16 holds: writing uint32 shards "
                + "(magic 20240801, version 7; llm.c's GPT-2 trainer reads only uint16 shards)")
        }

        let parts = split(corpus, valFraction: f)
        guard !parts.train.isEmpty else {
            throw TokenDataError(.emptyCorpus, "the train split would be empty (\(corpus.sources.reduce(0) { $0 + $1.documents.count }) documents)",
                                 hint: "give more documents or a smaller --val-fraction")
        }
        let folder = options.outputDirectory
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw TokenDataError(.io, file: folder, "cannot create the output folder: \(error.localizedDescription)")
        }
        // meta.json is written last: a folder without one holds an unfinished (or failed) run.
        let metaPath = (folder as NSString).appendingPathComponent(metaFileName)
        if unlink(metaPath) != 0 && errno != ENOENT {
            throw TokenDataError(.io, file: metaPath, "cannot remove the summary of an earlier run: \(errnoDescription(errno))")
        }
        var splits: [String: Summary.SplitRecord] = [:]
        var written: Set<String> = []
        for (name, documents) in [("train", parts.train), ("val", parts.val)] where name == "train" || f > 0 {
            log("\(name): encoding \(groupedThousands(documents.count)) document\(documents.count == 1 ? "" : "s")")
            let writer = SplitWriter(folder: folder, split: name, format: format, shardSize: options.shardSize,
                                     vocabularySize: vocabularySize)
            let progress = ProgressReporter(label: "\(name) encoding", total: documents.reduce(0) { $0 + $1.utf8.count },
                                            after: options.progressAfter, every: options.progressEvery, amount: humanBytes,
                                            detail: { "\(groupedThousands(writer.total)) tokens" }, output: log)
            var first = true
            try encodeEach(documents, tokenizer: tokenizer, options: options, progress: { progress.advance(by: $0) }) {
                ids throws(TokenDataError) in
                if !first, let separator = tokenizer.endOfText { try writer.append([separator]) }
                try writer.append(ids)
                first = false
            }
            guard writer.total > 0 else {  // dropped unfinished: nothing of this split is left on disk
                throw TokenDataError(.emptyCorpus, file: folder, "the \(name) split holds no tokens",
                                     hint: name == "val" ? "raise --val-fraction or give more text; --val-fraction 0 writes no val split"
                                         : "give more text")
            }
            let shards = try writer.finish()
            written.formUnion(shards)
            splits[name] = Summary.SplitRecord(tokens: writer.total, documents: documents.count, shards: shards)
            log("\(name): \(groupedThousands(writer.total)) tokens in \(shards.count) shard\(shards.count == 1 ? "" : "s")")
        }
        try removeStaleShards(in: folder, keeping: written, log: log)

        for (name, contents) in prepared.files.sorted(by: { $0.key < $1.key }) {
            try writeAtomically(contents, to: (folder as NSString).appendingPathComponent(name))
        }
        let summary = Summary(
            tokenizer: .init(kind: prepared.kind, vocabularySize: vocabularySize, endOfText: tokenizer.endOfText,
                             files: prepared.files.keys.sorted()),
            tokenFormat: format, valFraction: f, shardSize: options.shardSize,
            specialTokens: options.specialTokens == .none ? "none" : "allowed", splits: splits,
            sources: corpus.sources.map { .init(path: $0.path, kind: $0.kind, documents: $0.documents.count, bytes: $0.byteCount) })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let meta: Data
        do { meta = try encoder.encode(summary) } catch {
            throw TokenDataError(.io, file: folder, "cannot encode \(metaFileName): \(error)")
        }
        try writeAtomically(meta + Data("\n".utf8), to: metaPath)
        return summary
    }

    /// Reads the `meta.json` of a prepared folder.
    public static func summary(ofPreparedFolder folder: String) throws(TokenDataError) -> Summary {
        let path = (folder as NSString).appendingPathComponent(metaFileName)
        let data = try readFile(path)
        do {
            return try JSONDecoder().decode(Summary.self, from: data)
        } catch {
            throw TokenDataError(.malformedInput, file: path, "not a Mnemo data summary: \(error)",
                                 hint: "prepare the folder again with `mnemo data prepare`")
        }
    }

    /// Calls `body` with the ids of each document, in order, and `progress` with the UTF-8 bytes encoded as the
    /// work goes. A large document (a text file's part) is encoded on all threads by itself, in sections of 8 MiB
    /// (SectionedEncoding.swift); small ones (jsonl lines) in batches spread over the threads.
    private static func encodeEach(_ documents: [String], tokenizer: any Tokenizer, options: Options,
                                   progress: (Int) -> Void,
                                   _ body: ([Int]) throws(TokenDataError) -> Void) throws(TokenDataError) {
        let large = 1 << 20  // bytes of UTF-8
        var next = 0
        while next < documents.count {
            if documents[next].utf8.count >= large {
                try body(tokenizer.encodeInSections(documents[next], allowedSpecial: options.specialTokens,
                                                    threads: options.threads, sectionBytes: 8 << 20, progress: progress))
                next += 1
                continue
            }
            var end = next, bytes = 0
            while end < documents.count && end - next < 4096 && bytes < 8 * large && documents[end].utf8.count < large {
                bytes += documents[end].utf8.count
                end += 1
            }
            let batch = tokenizer.encodeBatch(Array(documents[next..<end]), allowedSpecial: options.specialTokens,
                                              threads: options.threads)
            for ids in batch { try body(ids) }
            progress(bytes)
            next = end
        }
    }

    /// Removes `train_NNNNNN.bin` / `val_NNNNNN.bin` files that this run did not write.
    private static func removeStaleShards(in folder: String, keeping written: Set<String>,
                                          log: (String) -> Void) throws(TokenDataError) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        for name in names.sorted() where isShardName(name) && !written.contains(name) {
            let path = (folder as NSString).appendingPathComponent(name)
            guard unlink(path) == 0 else {
                throw TokenDataError(.io, file: path, "cannot remove this shard of an earlier run: \(errnoDescription(errno))",
                                     hint: "remove it by hand, or it would be read with the new shards")
            }
            log("removed \(name) (from an earlier run)")
        }
    }

    /// `train_` or `val_`, six digits, `.bin`.
    static func isShardName(_ name: String) -> Bool {
        for split in ["train_", "val_"] where name.hasPrefix(split) && name.hasSuffix(".bin") {
            let digits = name.dropFirst(split.count).dropLast(4)
            return digits.count == 6 && digits.allSatisfy(\.isASCII) && digits.allSatisfy(\.isNumber)
        }
        return false
    }

    /// AtomicFile's write, its failure as this API's error.
    private static func writeAtomically(_ data: Data, to path: String) throws(TokenDataError) {
        do { try AtomicFile.write(data, to: path) } catch {
            throw TokenDataError(.io, file: path, error.message, hint: error.hint)
        }
    }
}

/// Writes one split as numbered shards of at most `shardSize` tokens: `split_000000.bin`, `split_000001.bin`, …
/// (an empty split still gets an empty `split_000000.bin`, which the caller refuses).
final class SplitWriter {
    let folder: String
    let split: String
    let format: TokenShardFormat
    let shardSize: Int
    let vocabularySize: Int
    private(set) var total = 0
    private var current: TokenShardWriter?
    private var names: [String] = []

    init(folder: String, split: String, format: TokenShardFormat, shardSize: Int, vocabularySize: Int) {
        self.folder = folder
        self.split = split
        self.format = format
        self.shardSize = shardSize
        self.vocabularySize = vocabularySize
    }

    func append(_ ids: [Int]) throws(TokenDataError) {
        var start = 0
        while start < ids.count {
            let writer = try currentWriter()
            let take = min(ids.count - start, shardSize - writer.count)
            let piece = ids[start..<(start + take)]
            if let bad = piece.first(where: { $0 < 0 || $0 >= vocabularySize }) {
                throw TokenDataError(.tokenOutOfRange, file: writer.path,
                                     "the tokenizer produced id \(bad), outside its vocabulary of \(groupedThousands(vocabularySize)) ids",
                                     hint: "the tokenizer's files are inconsistent")
            }
            try writer.append(piece)
            total += take
            start += take
            if writer.count == shardSize { try close() }
        }
    }

    /// Finishes the last shard; returns the shard file names, in order.
    func finish() throws(TokenDataError) -> [String] {
        if names.isEmpty { _ = try currentWriter() }
        try close()
        return names
    }

    private func currentWriter() throws(TokenDataError) -> TokenShardWriter {
        if let current { return current }
        let name = String(format: "%@_%06d.bin", split, names.count)
        let writer = try TokenShardWriter(path: (folder as NSString).appendingPathComponent(name), format: format)
        names.append(name)
        current = writer
        return writer
    }

    private func close() throws(TokenDataError) {
        if let writer = current {
            current = nil
            try writer.finish()
        }
    }
}

// MARK: - Choosing the tokenizer

extension DataPrepare {
    /// The `--tokenizer` argument (and a train config's `tokenizer`): `char` (a character vocabulary built from the
    /// corpus, nanoGPT's shakespeare_char) or a TokenizerSpec (`char:PATH`, `gpt2:DIR`, `hf:PATH`; see
    /// TokenizerSpec.swift, which reads them).
    public enum TokenizerChoice: Sendable, Equatable {
        case charFromCorpus
        case spec(TokenizerSpec)

        public init(parsing text: String) throws(TokenDataError) {
            if text == "char" { self = .charFromCorpus; return }
            do {
                self = .spec(try TokenizerSpec(parsing: text))
            } catch {
                throw TokenDataError(error.kind, error.message, hint: Self.usage)
            }
        }

        /// TokenizerSpec's usage with `char` first.
        public static let usage = "use char, " + TokenizerSpec.usage.dropFirst("use ".count)

        /// The name meta.json records: "char", "gpt2" or "huggingface".
        public var kind: String {
            switch self {
            case .charFromCorpus: TokenizerSpec.Kind.char.rawValue
            case .spec(let spec): spec.kind.rawValue
            }
        }

        /// What `mnemo data prepare` does with special-token strings in the text unless told: a Hugging Face
        /// tokenizer matches its added tokens (as its `encode` does); GPT-2 and char tokenizers encode them as
        /// ordinary text (tiktoken's encode_ordinary, as nanoGPT and llm.c).
        public var defaultSpecialTokens: SpecialTokenPolicy {
            if case .spec(.huggingFace) = self { return .all }
            return .none
        }
    }

    /// The tokenizer and the files to keep beside the shards: `tokenizer.json` for char (CharTokenizer's saved
    /// vocabulary) and Hugging Face tokenizers, `encoder.json` + `vocab.bpe` for GPT-2 — so that the folder alone
    /// is enough to decode its tokens (`tokenizerSpec(ofPreparedFolder:)`). A saved character vocabulary must
    /// hold every character of the corpus; the first one missing is reported with its input file.
    public static func tokenizer(_ choice: TokenizerChoice, corpus: Corpus) throws -> PreparedTokenizer {
        switch choice {
        case .charFromCorpus:
            let tokenizer = CharTokenizer(corpus: corpus.text)
            return PreparedTokenizer(tokenizer, kind: choice.kind, files: ["tokenizer.json": try savedVocabulary(tokenizer)])
        case .spec(let spec):
            let tokenizer = try loadTokenizer(spec)
            switch spec {
            case .char(let path):
                if let char = tokenizer as? CharTokenizer { try checkCoverage(char, corpus: corpus, vocabulary: path) }
                return PreparedTokenizer(tokenizer, kind: choice.kind, files: ["tokenizer.json": try readFile(path)])
            case .gpt2(let directory):
                let files = try ["encoder.json", "vocab.bpe"].map { name throws(TokenDataError) in
                    (name, try readFile((directory as NSString).appendingPathComponent(name)))
                }
                return PreparedTokenizer(tokenizer, kind: choice.kind, files: Dictionary(uniqueKeysWithValues: files))
            case .huggingFace(let path):
                return PreparedTokenizer(tokenizer, kind: choice.kind, files: ["tokenizer.json": try readFile(path)])
            }
        }
    }

    /// How to load the tokenizer of a prepared folder, from its meta.json.
    public static func tokenizerSpec(ofPreparedFolder folder: String) throws(TokenDataError) -> TokenizerSpec {
        let summary = try summary(ofPreparedFolder: folder)
        return try TokenizerSpec(preparedKind: summary.tokenizer.kind, folder: folder, files: summary.tokenizer.files)
    }

    /// CharTokenizer's own file format, as bytes.
    private static func savedVocabulary(_ tokenizer: CharTokenizer) throws -> Data {
        let temporary = FileManager.default.temporaryDirectory
            .appendingPathComponent("mnemo-char-vocab-\(getpid())-\(UUID().uuidString).json").path
        defer { unlink(temporary) }
        try tokenizer.save(to: temporary)
        return try readFile(temporary)
    }

    private static func checkCoverage(_ tokenizer: CharTokenizer, corpus: Corpus, vocabulary: String)
        throws(TokenDataError) {
        let known = Set(tokenizer.characters)
        for source in corpus.sources {
            for document in source.documents {
                guard let missing = document.unicodeScalars.first(where: { !known.contains($0) }) else { continue }
                throw TokenDataError(
                    .malformedInput, file: source.path,
                    "the character U+\(String(missing.value, radix: 16, uppercase: true)) (\(missing.escaped(asASCII: true))) is not in the vocabulary \(vocabulary)",
                    hint: "use --tokenizer char to build the vocabulary from this corpus")
            }
        }
    }
}
