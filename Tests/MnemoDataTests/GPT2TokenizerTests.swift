// GPT2TokenizerTests.swift — GPT-2 BPE against tiktoken: counts and ids on tinyshakespeare (shared/data/README.md),
// tricky strings (TokenizerReferences.swift), special tokens, round trips, pre-tokenizer pieces.

import Foundation
import Testing
@testable import MnemoData

@Suite("GPT-2 tokenizer")
struct GPT2TokenizerTests {
    @Test("whole tinyshakespeare: 338,025 tokens, first 20 and last 5 ids, round trip")
    func wholeFile() throws {
        let gpt2 = try TokenizerTestData.gpt2()
        let text = try TokenizerTestData.shakespeare()
        let ids = gpt2.encode(text)
        #expect(ids.count == 338_025)
        #expect(Array(ids.prefix(20)) == [5962, 22307, 25, 198, 8421, 356, 5120, 597, 2252, 11, 3285, 502, 2740, 13, 198,
                                          198, 3237, 25, 198, 5248])
        #expect(Array(ids.suffix(5)) == [14210, 1242, 23137, 13, 198])
        #expect(ids.max() == 50255)
        #expect(gpt2.decode(ids) == text)
    }

    @Test("prefixes and nanoGPT's train / val split")
    func prefixes() throws {
        let gpt2 = try TokenizerTestData.gpt2()
        let text = try TokenizerTestData.shakespeare()
        #expect(gpt2.encode(TokenizerTestData.prefix(text, scalars: 100_000)).count == 30_645)
        #expect(gpt2.encode(TokenizerTestData.prefix(text, scalars: 10_000)).count == 2_805)
        let scalars = Array(text.unicodeScalars)
        let train = String(String.UnicodeScalarView(scalars[..<1_003_854]))
        let validation = String(String.UnicodeScalarView(scalars[1_003_854...]))
        #expect(gpt2.encode(train).count == 301_966)
        #expect(gpt2.encode(validation).count == 36_059)
    }

    @Test("tricky strings: ids equal tiktoken's (ordinary and with special tokens), decode gives the text back")
    func trickyStrings() throws {
        let gpt2 = try TokenizerTestData.gpt2()
        for reference in tokenizerReferences {
            #expect(gpt2.encode(reference.text) == reference.gpt2Ordinary, "\(reference.text.debugDescription)")
            #expect(gpt2.encode(reference.text, allowedSpecial: .all) == reference.gpt2Special, "\(reference.text.debugDescription)")
            #expect(gpt2.decode(reference.gpt2Ordinary) == reference.text)
            #expect(gpt2.decode(reference.gpt2Special) == reference.text)
        }
    }

    @Test("pre-tokenizer pieces equal the GPT-2 regex's")
    func pieces() {
        for reference in tokenizerReferences {
            #expect(gpt2PreTokenize(reference.text) == reference.pieces, "\(reference.text.debugDescription)")
        }
    }

    @Test("<|endoftext|>: ordinary text by default, 50256 when allowed")
    func endOfText() throws {
        let gpt2 = try TokenizerTestData.gpt2()
        #expect(gpt2.endOfText == 50256)
        #expect(gpt2.vocabularySize == 50257)
        #expect(gpt2.specialTokens == ["<|endoftext|>": 50256])
        #expect(gpt2.encode("<|endoftext|>") == [27, 91, 437, 1659, 5239, 91, 29])
        #expect(gpt2.encode("<|endoftext|>", allowedSpecial: .all) == [50256])
        #expect(gpt2.encode("<|endoftext|>", allowedSpecial: .only(["<|endoftext|>"])) == [50256])
        #expect(gpt2.encode("<|endoftext|>", allowedSpecial: .only(["<|other|>"])) == gpt2.encode("<|endoftext|>"))
        #expect(gpt2.decode([50256]) == "<|endoftext|>")
    }

    @Test("TinyStories sample: 923 tokens with <|endoftext|> allowed")
    func tinyStories() throws {
        let gpt2 = try TokenizerTestData.gpt2()
        let text = try TokenizerTestData.text("tinystories/tinystories_sample.txt")
        let ids = gpt2.encode(text, allowedSpecial: .all)
        #expect(ids.count == 923)
        #expect(ids.filter { $0 == 50256 }.count == 5)
        #expect(gpt2.decode(ids) == text)
    }

    @Test("invalid UTF-8 decodes to U+FFFD; unknown ids too")
    func decodeReplacement() throws {
        let gpt2 = try TokenizerTestData.gpt2()
        // "😀" is 4 bytes over several tokens; dropping the last token leaves an incomplete sequence.
        let ids = gpt2.encode("😀")
        #expect(ids.count > 1)
        #expect(gpt2.decode(Array(ids.dropLast())) == "\u{FFFD}")
        #expect(gpt2.decode([15496, 99999, 995]) == "Hello\u{FFFD} world")
        #expect(throws: TokenizerError.self) { try gpt2.decodeChecked([99999]) }
    }

    @Test("the scan and the heap merge loops give the same ids")
    func scanEqualsHeap() throws {
        let gpt2 = try TokenizerTestData.gpt2()
        let text = TokenizerTestData.prefix(try TokenizerTestData.shakespeare(), scalars: 50_000)
            + tokenizerReferences.map(\.text).joined(separator: " ")
        var generator = SplitMix(seed: 7)
        let alphabet = Array("aaabbcdeeeghst  ,.'\n😀é日".unicodeScalars)
        var random = String.UnicodeScalarView()
        for _ in 0..<20_000 { random.append(alphabet[Int(generator.next() % UInt64(alphabet.count))]) }
        for sample in [text, String(random)] {
            var byScan: [Int] = [], byHeap: [Int] = []
            var copy = sample
            copy.withUTF8 { buffer in
                let scan = BPESession(model: gpt2.encoder.model)
                scan.heapThreshold = Int.max
                let heap = BPESession(model: gpt2.encoder.model)
                heap.heapThreshold = 1
                gpt2.encoder.encode(buffer.baseAddress!, buffer.count, matcher: nil, session: scan, into: &byScan)
                gpt2.encoder.encode(buffer.baseAddress!, buffer.count, matcher: nil, session: heap, into: &byHeap)
            }
            #expect(byScan == byHeap)
            #expect(byScan == gpt2.encode(sample))
        }
    }
}

/// A small deterministic generator for test inputs.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
