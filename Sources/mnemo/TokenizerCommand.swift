// TokenizerCommand.swift — `mnemo tokenizer encode | decode | train`: the MnemoData tokenizers from the shell.
//
//   mnemo tokenizer encode --gpt2 ../shared/data/gpt2 --count ../shared/data/tinyshakespeare.txt    → 338025
//   mnemo tokenizer encode --hf tokenizer.json --allow-special chat.txt                              → ids
//   mnemo tokenizer encode --tokenizer hf:tokenizer.json chat.txt        (a spec, as `mnemo data prepare` takes it)
//   mnemo tokenizer decode --gpt2 ../shared/data/gpt2 15496 995                                      → Hello world
//   mnemo tokenizer train --vocab-size 1000 --out tokenizer.json ../shared/data/tinyshakespeare.txt
//   mnemo tokenizer train --char --out chars.json ../shared/data/tinyshakespeare.txt
//
// Errors (missing or corrupt files, unknown characters or ids) print `error: <file: what, hint>` on stderr and
// exit with 1.

import ArgumentParser
import Foundation
import MnemoData

struct TokenizerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenizer",
        abstract: "Encode, decode and train tokenizers (character, GPT-2 BPE, Hugging Face byte-level or SentencePiece-style BPE).",
        subcommands: [Encode.self, Decode.self, TrainTokenizer.self]
    )

    /// Which tokenizer: exactly one of --gpt2, --hf, --char, or --tokenizer with a spec as `mnemo data prepare` and
    /// a train config take it (MnemoData's TokenizerSpec reads it).
    struct Choice: ParsableArguments {
        @Option(name: .customLong("gpt2"), help: ArgumentHelp("Folder with GPT-2's encoder.json and vocab.bpe.", valueName: "dir"))
        var gpt2: String?
        @Option(name: .customLong("hf"), help: ArgumentHelp("A Hugging Face tokenizer.json (byte-level BPE, or SentencePiece-style BPE as Llama-2).", valueName: "path"))
        var huggingFace: String?
        @Option(name: .customLong("char"), help: ArgumentHelp("A character vocabulary (`mnemo tokenizer train --char`).", valueName: "path"))
        var char: String?
        @Option(name: .customLong("tokenizer"),
                help: ArgumentHelp("char:VOCAB.json, gpt2:DIR or hf:tokenizer.json (also huggingface:), as `mnemo data prepare` takes it.",
                                   valueName: "spec"))
        var text: String?

        func validate() throws {
            let given = [gpt2, huggingFace, char, text].compactMap { $0 }.count
            if given != 1 {
                throw ValidationError("give exactly one tokenizer: --gpt2 DIR, --hf PATH, --char PATH or --tokenizer SPEC")
            }
            if let text {
                do { _ = try TokenizerSpec(parsing: text) } catch { throw ValidationError(error.description) }
            }
        }

        var spec: TokenizerSpec {
            if let gpt2 { return .gpt2(directory: gpt2) }
            if let huggingFace { return .huggingFace(path: huggingFace) }
            if let text, let parsed = try? TokenizerSpec(parsing: text) { return parsed }  // checked in validate()
            return .char(path: char!)
        }
    }

    struct Encode: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the ids of a text file (or standard input), space-separated, or their number with --count.",
            discussion: "Special-token strings such as <|endoftext|> are ordinary text unless --allow-special is given."
        )

        @OptionGroup var tokenizer: Choice
        @Flag(help: "Print only the number of ids.") var count = false
        @Flag(help: "Encode the tokenizer's special tokens (<|endoftext|>, <|im_start|>, ...) as their ids.")
        var allowSpecial = false
        @Option(help: "Threads to encode with (default: all cores).") var threads: Int?
        @Argument(help: "Text file to encode; - or nothing for standard input.") var file: String?

        func validate() throws {
            if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        }

        func run() throws {
            try reportingErrors {
                let loaded = try loadTokenizer(tokenizer.spec)
                let text = try readText(file)
                let ids: [Int]
                if let chars = loaded as? CharTokenizer {
                    do {
                        ids = try chars.encodeChecked(text)  // an unknown character is an error, not a crash
                    } catch let error as TokenizerError {
                        throw TokenizerError(error.kind, file: file ?? "standard input", error.message, hint: error.hint)
                    }
                } else {
                    ids = loaded.encodeConcurrently(text, allowedSpecial: allowSpecial ? .all : .none,
                                                    threads: threads ?? defaultEncodingThreads)
                }
                if count {
                    print(ids.count)
                } else {
                    print(ids.map(String.init).joined(separator: " "))
                }
            }
        }
    }

    struct Decode: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the text of ids given as arguments, or read from --input / standard input.",
            discussion: """
                Ids may be separated by spaces, newlines or commas (a Python list is fine). The text is written \
                exactly, with no newline added, so `encode | decode` gives back the file.
                """
        )

        @OptionGroup var tokenizer: Choice
        @Option(help: "File of ids (default: the arguments, or standard input when there are none).") var input: String?
        @Argument(help: "Ids to decode.") var ids: [String] = []

        func run() throws {
            try reportingErrors {
                let loaded = try loadTokenizer(tokenizer.spec)
                let source = ids.isEmpty ? try readText(input) : ids.joined(separator: " ")
                var parsed: [Int] = []
                for word in source.split(whereSeparator: { " \n\r\t,[]".contains($0) }) {
                    guard let id = Int(word) else {
                        throw ValidationError("\"\(word)\" is not an id (a non-negative integer)")
                    }
                    parsed.append(id)
                }
                let text = try loaded.decodeChecked(parsed)
                FileHandle.standardOutput.write(Data(text.utf8))
            }
        }
    }

    struct TrainTokenizer: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "train",
            abstract: "Train a byte-level BPE (Hugging Face tokenizer.json) or a character vocabulary on text files.",
            discussion: """
                BPE: 256 byte tokens, then merges of the most frequent pair over GPT-2 pre-tokens, then the special \
                tokens (default <|endoftext|>), which are also cut out of the training text. --vocab-size counts all \
                three. The file loads with --hf and with Hugging Face tokenizers' Tokenizer.from_file.
                """
        )

        @Option(help: "Total ids: 256 bytes + merges + special tokens (BPE).") var vocabSize: Int?
        @Option(help: "Where to write the tokenizer (tokenizer.json for BPE, a .json vocabulary for --char).") var out: String
        @Option(name: .customLong("special"), help: "A special token (repeat for several; default <|endoftext|>).")
        var specials: [String] = []
        @Flag(help: "Train no special tokens.") var noSpecial = false
        @Option(help: "Merge only pairs seen at least this often.") var minimumPairCount = 2
        @Flag(help: "Build a character vocabulary (nanoGPT's shakespeare_char) instead of a BPE.") var char = false
        @Argument(help: "Text files to train on.") var corpus: [String]

        func validate() throws {
            if corpus.isEmpty { throw ValidationError("give at least one text file to train on") }
            if !char, vocabSize == nil { throw ValidationError("give --vocab-size N (or --char for a character vocabulary)") }
            if char, vocabSize != nil { throw ValidationError("--vocab-size is for BPE; a character vocabulary has one id per character") }
        }

        func run() throws {
            try reportingErrors {
                let texts = try corpus.map { try readText($0) }
                let bytes = texts.reduce(0) { $0 + $1.utf8.count }
                let start = Date()
                if char {
                    let tokenizer = CharTokenizer(corpus: texts.joined())
                    try tokenizer.save(to: out)
                    print("wrote \(out): \(tokenizer.vocabularySize) characters from \(bytes) bytes")
                    return
                }
                let trainer = BPETrainer(vocabularySize: vocabSize!, specialTokens: noSpecial ? [] : (specials.isEmpty ? ["<|endoftext|>"] : specials),
                                         minimumPairCount: minimumPairCount)
                let trained = try trainer.train(texts)
                let seconds = Date().timeIntervalSince(start)
                try trained.save(to: out)
                let tokenizer = try trained.tokenizer()
                let tokens = texts.reduce(0) { $0 + tokenizer.encodeConcurrently($1, allowedSpecial: .all).count }
                let perToken = String(format: "%.2f", Double(bytes) / Double(max(tokens, 1)))
                print("wrote \(out): \(trained.vocabularySize) ids (256 bytes + \(trained.tokens.count - 256) merges + "
                    + "\(trained.specialTokens.count) special) in \(String(format: "%.2f", seconds)) s; the corpus is \(bytes) bytes "
                    + "→ \(tokens) tokens (\(perToken) bytes per token)")
                if trained.vocabularySize < vocabSize! {
                    print("note: stopped before \(vocabSize!) ids: no pair occurs \(minimumPairCount) times any more")
                }
            }
        }
    }
}

/// The text of a file, or of standard input for nil or "-".
private func readText(_ path: String?) throws -> String {
    let data: Data
    if let path, path != "-" {
        guard FileManager.default.fileExists(atPath: path) else {
            throw TokenizerError(.missingFile, file: path, "no such file", hint: "check the path")
        }
        guard let contents = FileManager.default.contents(atPath: path) else {
            throw TokenizerError(.io, file: path, "cannot be read")
        }
        data = contents
    } else {
        data = FileHandle.standardInput.readDataToEndOfFile()
    }
    guard let text = String(data: data, encoding: .utf8) else {
        throw TokenizerError(.corruptFile, file: path ?? "standard input", "is not UTF-8 text")
    }
    return text
}

/// Runs `body`; a TokenizerError becomes `error: ...` on stderr and exit status 1.
private func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as TokenizerError {
        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
        throw ExitCode(1)
    }
}
