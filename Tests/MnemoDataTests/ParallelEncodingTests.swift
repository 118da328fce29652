// ParallelEncodingTests.swift — chunked parallel encoding and batch encoding give the single-thread ids.

import Foundation
import Testing
@testable import MnemoData

@Suite("Parallel encoding")
struct ParallelEncodingTests {
    @Test("GPT-2: tinyshakespeare on 2, 3, 5 and 8 threads gives the single-thread ids")
    func gpt2Shakespeare() throws {
        let gpt2 = try TokenizerTestData.gpt2()
        let text = try TokenizerTestData.shakespeare()
        let single = gpt2.encode(text)
        for threads in [2, 3, 5, 8] {
            #expect(gpt2.encodeConcurrently(text, allowedSpecial: .none, threads: threads) == single, "threads \(threads)")
        }
    }

    @Test("cuts are safe on whitespace-heavy, Unicode and special-token text")
    func trickyText() throws {
        let gpt2 = try TokenizerTestData.gpt2()
        let minimind = try TokenizerTestData.minimind3()
        var generator = SplitMix(seed: 11)
        let fragments = tokenizerReferences.map(\.text) + ["\n", "  ", " \n ", "\t\t", "<|endoftext|>", "<|im_start|>", "\u{3000}"]
        var text = ""
        while text.utf8.count < 400_000 { text += fragments[Int(generator.next() % UInt64(fragments.count))] }
        for policy in [SpecialTokenPolicy.none, .all] {
            let single = gpt2.encode(text, allowedSpecial: policy)
            #expect(gpt2.encodeConcurrently(text, allowedSpecial: policy, threads: 7) == single)
            let hfSingle = minimind.encode(text, allowedSpecial: policy)
            #expect(minimind.encodeConcurrently(text, allowedSpecial: policy, threads: 5) == hfSingle)
        }
    }

    @Test("every cut that safeCuts picks leaves the pieces unchanged")
    func cutsKeepPieces() throws {
        var text = try TokenizerTestData.text("tinystories/tinystories_sample.txt")
        text += tokenizerReferences.map(\.text).joined(separator: "x")
        let whole = GPT2PreTokenizer().pieces(text)
        let boundaries = Set(whole.map(\.lowerBound))
        var copy = text
        copy.withUTF8 { buffer in
            let cuts = safeCuts(buffer.baseAddress!, count: buffer.count, parts: 200, splitter: GPT2PreTokenizer(), avoiding: nil,
                                window: 4096)
            #expect(cuts.count > 100)
            for cut in cuts { #expect(boundaries.contains(cut) || cut == buffer.count) }
        }
    }

    @Test("encodeBatch equals encoding each text")
    func batch() throws {
        let gpt2 = try TokenizerTestData.gpt2()
        let lines = try TokenizerTestData.shakespeare().split(separator: "\n").prefix(3000).map(String.init)
            + tokenizerReferences.map(\.text)
        #expect(gpt2.encodeBatch(lines, allowedSpecial: .all, threads: 3) == lines.map { gpt2.encode($0, allowedSpecial: .all) })
        let chars = CharTokenizer(corpus: lines.joined())
        #expect(chars.encodeBatch(lines, allowedSpecial: .none, threads: 3) == lines.map { chars.encode($0) })
    }
}
