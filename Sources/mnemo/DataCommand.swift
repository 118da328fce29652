// DataCommand.swift — `mnemo data prepare INPUT... --out DIR --tokenizer SPEC`: text and jsonl files to llm.c
// token shards, the tokenizer's files and meta.json (DataPrepare.swift in MnemoData does the work).
//
// A missing or malformed input prints `error: FILE[:LINE]: what is wrong. hint: …` on stderr and exits with 1.

import ArgumentParser
import Foundation
import MnemoData
import MnemoSupport

struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Prepare training data: token shards from text and jsonl files.",
        subcommands: [Prepare.self]
    )

    struct Prepare: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Tokenize text or jsonl files into train/val token shards (llm.c's .bin format).",
            discussion: """
                A .jsonl input holds one {"text": ...} object per line (blank lines are skipped); any other file \
                is UTF-8 text. A text file is split by characters, the first 90% to train and the rest to val \
                (nanoGPT); jsonl documents are split by count, the last 10% to val. Documents are separated by \
                the tokenizer's end-of-text token when it has one.

                Writes DIR/train_000000.bin, DIR/val_000000.bin (more shards past --shard-size tokens), the \
                tokenizer's files (tokenizer.json, or encoder.json + vocab.bpe) and DIR/meta.json.

                Example: mnemo data prepare ../shared/data/tinyshakespeare.txt --out data/shakespeare-char --tokenizer char
                """
        )

        @Argument(help: "Text files and .jsonl files, read in this order.")
        var inputs: [String]

        @Option(help: "Output folder (created if missing).")
        var out: String

        @Option(help: "char (vocabulary from the corpus), char:VOCAB.json, gpt2:DIR (encoder.json + vocab.bpe) or hf:tokenizer.json (also huggingface:).")
        var tokenizer: String

        @Option(help: "Fraction of each text file's characters, and of the jsonl documents, kept for validation (0 for none).")
        var valFraction = 0.1

        @Option(help: "Most tokens per shard file.")
        var shardSize = 100_000_000

        @Option(help: "Special-token strings in the text: none (plain text), all (their ids) or auto (all for hf:, none otherwise).")
        var specialTokens: SpecialTokens = .auto

        @Option(help: "Encoding threads (default: all cores).")
        var threads: Int?

        enum SpecialTokens: String, ExpressibleByArgument, CaseIterable {
            case auto, none, all
        }

        func run() throws {
            do {
                let choice = try DataPrepare.TokenizerChoice(parsing: tokenizer)
                let corpus = try DataPrepare.readCorpus(inputs)
                let prepared = try DataPrepare.tokenizer(choice, corpus: corpus)
                var options = DataPrepare.Options(outputDirectory: out, valFraction: valFraction, shardSize: shardSize)
                switch specialTokens {
                case .auto: options.specialTokens = choice.defaultSpecialTokens
                case .none: options.specialTokens = .none
                case .all: options.specialTokens = .all
                }
                if let threads { options.threads = max(1, threads) }
                let start = Date()
                // Unbuffered, so that progress lines show as they happen, also in a pipe.
                let summary = try DataPrepare.prepare(corpus, tokenizer: prepared, options: options) { line in
                    FileHandle.standardOutput.write(Data((line + "\n").utf8))
                }
                let splits = ["train", "val"].compactMap { name in
                    summary.splits[name].map { "\(name) \(groupedThousands($0.tokens)) tokens" }
                }
                print("\(out): " + splits.joined(separator: ", ")
                    + " (\(prepared.kind) tokenizer, vocabulary \(groupedThousands(summary.tokenizer.vocabularySize)), \(summary.tokenFormat) shards)"
                    + String(format: " in %.1f s", Date().timeIntervalSince(start)))
            } catch let error as TokenDataError {
                FileHandle.standardError.write(Data("error: \(error)\n".utf8))
                throw ExitCode.failure
            } catch let error as TokenizerError {
                FileHandle.standardError.write(Data("error: \(error)\n".utf8))
                throw ExitCode.failure
            }
        }
    }
}

