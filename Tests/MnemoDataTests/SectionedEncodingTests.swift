// SectionedEncodingTests.swift — a large text encoded in sections (so that data preparation can show progress) gives
// exactly the ids of the whole text, for each tokenizer kind; and data preparation logs progress lines with bytes,
// tokens and an ETA once it takes longer than its threshold.
import Foundation
import Testing
@testable import MnemoData

@Suite struct SectionedEncodingTests {
    @Test("sections cut where the ids cannot change: the same ids as the whole, progress adding up to every byte")
    func sameIdsAsTheWhole() throws {
        let text = String(try TokenizerTestData.shakespeare().prefix(200_000))
            + "<|im_start|>user\nhello<|im_end|> and  more   spaces\n\n\n" + String(repeating: "é🙂 x", count: 3000)
        let char = CharTokenizer(corpus: text)
        let tokenizers: [(String, any Tokenizer, SpecialTokenPolicy)] = [
            ("gpt2", try TokenizerTestData.gpt2(), .none),
            ("minimind", try TokenizerTestData.minimind3(), .all),
            ("char", char, .none),
        ]
        for (name, tokenizer, policy) in tokenizers {
            let whole = tokenizer.encode(text, allowedSpecial: policy)
            var sections = 0, bytes = 0
            let ids = tokenizer.encodeInSections(text, allowedSpecial: policy, threads: 2, sectionBytes: 16 << 10) {
                sections += 1
                bytes += $0
            }
            #expect(ids == whole, "\(name)")
            #expect(sections > 5 && bytes == text.utf8.count, "\(name): \(sections) sections, \(bytes) bytes")
        }
    }

    @Test("data preparation logs progress: bytes of the split, tokens so far, ETA")
    func progressLines() throws {
        try DataFixtures.withFolder { folder in
            let lines = (0..<6000).map { #"{"text": "document \#($0) of many"}"# }
            let input = try DataPrepareTests.file(lines.joined(separator: "\n"), "many.jsonl", in: folder)
            let corpus = try DataPrepare.readCorpus([input])
            var options = DataPrepare.Options(outputDirectory: folder + "/out")
            options.progressAfter = 0
            options.progressEvery = 0
            var log: [String] = []
            let summary = try DataPrepare.prepare(corpus, tokenizer: DataPrepareTests.prepared(CharTokenizer(corpus: corpus.text)),
                                                  options: options) { log.append($0) }
            let progress = log.filter { $0.hasPrefix("train encoding: ") }
            #expect(!progress.isEmpty, "\(log)")
            #expect(progress.allSatisfy { $0.contains(" bytes/") || $0.contains(" KiB/") }, "\(progress)")
            #expect(progress.allSatisfy { $0.contains(" tokens, ") && $0.contains(" elapsed, ETA ") }, "\(progress)")
            #expect(summary.splits["train"]?.documents == 5400)

            var quiet: [String] = []
            options.progressAfter = 60
            try DataPrepare.prepare(corpus, tokenizer: DataPrepareTests.prepared(CharTokenizer(corpus: corpus.text)),
                                    options: options) { quiet.append($0) }
            #expect(!quiet.contains { $0.contains("ETA") })
        }
    }
}
