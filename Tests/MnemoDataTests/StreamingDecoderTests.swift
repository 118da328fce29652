// StreamingDecoderTests.swift — streamed pieces join to the whole decode, and a character split across byte tokens is
// held back until it is complete.
import Testing
@testable import MnemoData

@Suite struct StreamingDecoderTests {
    @Test func piecesJoinToTheDecodeAndNeverShowAHalfCharacter() throws {
        let tokenizer = try TokenizerTestData.gpt2()
        let text = "a 🙂 naïve 日本 b"
        let ids = tokenizer.encode(text)
        #expect(ids.count > text.count / 2)
        var decoder = StreamingDecoder(tokenizer)
        var pieces = ids.map { decoder.add($0) }
        pieces.append(decoder.finish())
        #expect(pieces.joined() == text && decoder.text == text)
        #expect(pieces.allSatisfy { !$0.contains("\u{FFFD}") })
        #expect(pieces.contains(""), "some byte token completed no character on its own")
    }
}
