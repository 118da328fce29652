// HellaSwagFileTests.swift — llm.c's eval .bin: the layout pinned by bytes written out by hand, a round trip through a
// writer that follows llm.c's dev/data/data_common.py `write_evalfile`, and every malformed file refused with the file,
// the example and what is wrong.
import Foundation
import Testing
@testable import MnemoData

/// llm.c's `write_evalfile`, in Swift, for fixtures: the 256-int32 header (magic, version, count, longest example in
/// bytes), then each example as uint16: 65535, its size in bytes, index, label, completion count, context length and
/// tokens, each completion's length and tokens.
func llmcEvalFile(_ examples: [HellaSwagExample], magic: Int32 = 20_240_522, version: Int32 = 1) -> [UInt8] {
    var stream: [Int] = [], longest = 0
    for (i, e) in examples.enumerated() {
        var example = [65_535, 0, i, e.label, e.completions.count, e.context.count] + e.context
        for c in e.completions { example += [c.count] + c }
        example[1] = 2 * example.count
        longest = max(longest, example[1])
        stream += example
    }
    return DataFixtures.image(header: [magic, version, Int32(examples.count), Int32(longest)], payload: DataFixtures.uint16Bytes(stream))
}

@Suite struct HellaSwagFileTests {
    let examples = [
        HellaSwagExample(index: 0, label: 2, context: [464, 3290, 318], completions: [[257], [262, 1110], [845, 922, 13], [40]]),
        HellaSwagExample(index: 1, label: 0, context: [7454], completions: [[11, 12], [13]]),
    ]

    @Test func theLayoutByHand() throws {
        // one example: context [5, 6], completions [7] and [8, 9], label 1: thirteen uint16 = 26 bytes
        let fixed = DataFixtures.uint16Bytes([65_535, 26, 0, 1, 2, 2, 5, 6, 1, 7, 2, 8, 9])
        let bytes = DataFixtures.image(header: [20_240_522, 1, 1, 26], payload: fixed)
        #expect(bytes.count == 1024 + 26)
        let read = try HellaSwagFile.parse(Data(bytes), file: "hand.bin")
        #expect(read == [HellaSwagExample(index: 0, label: 1, context: [5, 6], completions: [[7], [8, 9]])])
        #expect(llmcEvalFile(read) == bytes, "the fixture writer writes the same bytes")
    }

    @Test func aRoundTripThroughLlmcsWriter() throws {
        try DataFixtures.withFolder { folder in
            let path = try DataFixtures.write(llmcEvalFile(examples), named: "hellaswag_val.bin", in: folder)
            #expect(try HellaSwagFile.read(path) == examples)
        }
    }

    func refusal(_ bytes: [UInt8], _ kind: TokenDataError.Kind, _ message: String) {
        #expect { try HellaSwagFile.parse(Data(bytes), file: "x.bin") } throws: { error in
            let e = error as! TokenDataError
            return e.kind == kind && "\(e)".hasPrefix("x.bin: ") && "\(e)".contains(message)
        }
    }

    @Test func badHeadersAreRefused() {
        let good = llmcEvalFile(examples)
        refusal(Array(good.prefix(1000)), .headerTooSmall, "the file has 1000 bytes, fewer than the 1024-byte header")
        refusal(llmcEvalFile(examples, magic: 20_240_523), .badMagic, "magic number 20240523, not 20240522")
        refusal(llmcEvalFile(examples, magic: 20_240_520), .badMagic, "(this is an llm.c token shard, not an eval file)")
        refusal(llmcEvalFile(examples, version: 2), .badVersion, "version 2; only version 1 exists")
        refusal(DataFixtures.image(header: [20_240_522, 1, 0, 0], payload: []), .badTokenCount, "the header declares 0 examples")
    }

    @Test func truncatedFilesAreRefused() {
        let good = llmcEvalFile(examples)
        refusal(Array(good.prefix(1024)), .sizeMismatch, "the file ends after 0 of the 2 examples its header declares (truncated)")
        refusal(Array(good.prefix(good.count - 2)), .sizeMismatch, "example 1 (byte 1064) runs past the end of the file (truncated)")
        refusal(Array(good.prefix(good.count - 1)), .sizeMismatch, "an odd number")
        refusal(Array(good.prefix(1024 + 6)), .sizeMismatch, "the file ends inside example 0's header (truncated)")
        refusal(good + [0, 0], .sizeMismatch, "2 bytes after the 2 examples the header declares")
    }

    @Test func malformedExamplesAreRefused() {
        func edited(_ edit: (inout [Int]) -> Void, longest: Int32 = 1000) -> [UInt8] {
            var stream = [65_535, 22, 0, 1, 2, 1, 5, 1, 7, 2, 8, 9]
            stream[1] = 2 * stream.count
            edit(&stream)
            return DataFixtures.image(header: [20_240_522, 1, 1, longest], payload: DataFixtures.uint16Bytes(stream))
        }
        refusal(edited { $0[0] = 1 }, .malformedInput, "example 0 (byte 1024): starts with 1, not the delimiter 65535")
        refusal(edited { $0[3] = 2 }, .malformedInput, "example 0 (byte 1024): label 2 names none of its 2 completions")
        refusal(edited { $0[4] = 0 }, .malformedInput, "no completions")
        refusal(edited { $0[5] = 0 }, .malformedInput, "the context has no tokens")
        refusal(edited { $0[7] = 0 }, .malformedInput, "completion 0 has no tokens")
        refusal(edited { $0[6] = 65_535 }, .malformedInput, "the context holds the delimiter 65535 as a token")
        refusal(edited { $0[1] = 26; $0 += [0, 0] }, .malformedInput, "its stated size is 26 bytes but its contents take 24")
        refusal(edited { $0[9] = 3 }, .malformedInput, "completion 1's 3 tokens run past the example's stated size")
        refusal(edited({ _ in }, longest: 20), .malformedInput, "24 bytes, longer than the header's longest example (20 bytes)")
        refusal(edited { $0[1] = 7 }, .malformedInput, "a stated size of 7 bytes is no example's")
    }

    @Test func aMissingFileIsNamed() {
        #expect { try HellaSwagFile.read("/no/such/hellaswag_val.bin") } throws: {
            ($0 as! TokenDataError).kind == .missingFile && "\($0)".contains("/no/such/hellaswag_val.bin: no such eval file")
        }
    }
}
