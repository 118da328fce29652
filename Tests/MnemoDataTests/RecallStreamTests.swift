// RecallStreamTests.swift — the associative-recall stream (facts stated in an earlier chunk than their query, the gaps
// marked, every answer exact) and SequentialChunks (each stream fed in order, targets and gaps shifted by one).
import Testing
@testable import MnemoData
import Torch

@Suite struct RecallStreamTests {
    /// The first `chunks` chunks of one stream, concatenated.
    static func stream(_ layout: RecallStream.Layout, chunks: Int, seed: UInt64 = 7) -> (tokens: [Int], gaps: [Int]) {
        var stream = RecallStream(layout: layout, seed: seed)
        var tokens: [Int] = [], gaps: [Int] = []
        for _ in 0..<chunks {
            let chunk = stream.next()
            #expect(chunk.tokens.count == layout.chunkLength && chunk.gaps.count == layout.chunkLength)
            tokens += chunk.tokens
            gaps += chunk.gaps
        }
        return (tokens, gaps)
    }

    @Test func everyQueryAsksAFactOfAnEarlierChunkAndItsAnswerIsExact() {
        let layout = RecallStream.Layout(chunkLength: 64)
        #expect(layout.facts == 4 && layout.nearQueries == 3 && layout.farQueries == 1 && layout.problem == nil)
        #expect(layout.vocabularySize == 32 + 16 + 3 + 8)
        let (tokens, gaps) = Self.stream(layout, chunks: 40)
        var near: [Int] = [], far: [Int] = []
        for (i, token) in tokens.enumerated() where token == layout.question {
            let key = tokens[i - 1], answer = tokens[i + 1]
            #expect(key < layout.keys && layout.isValue(answer))
            // the latest statement "= key value" before the query
            let stated = (1..<(i - 1)).reversed().first { tokens[$0] == key && tokens[$0 - 1] == layout.equals }
            #expect(stated != nil, "the asked key was stated before")
            guard let fact = stated else { continue }
            #expect(tokens[fact + 1] == answer, "the answer is the value the fact stated")
            #expect(fact / 64 < i / 64, "the fact is stated in an earlier chunk than its query")
            #expect(gaps[i + 1] == i - (fact + 1), "the value token carries the gap from the fact's value to the query's ?")
            #expect(gaps[i + 1] > i % 64, "the fact lies before the query's chunk starts")
            if i / 64 - fact / 64 == 1 { near.append(gaps[i + 1]) } else { far.append(gaps[i + 1]) }
        }
        // near queries: 3 per chunk from chunk 1 on, within the 32 STM slots; far: 1 per chunk from chunk 2 on, beyond them
        #expect(near.count == 39 * 3 && far.count == 38)
        #expect(near.allSatisfy { $0 >= 1 && $0 <= 32 } && far.allSatisfy { $0 > 64 })
        // nothing but the queries' value tokens is marked, and chunk 0 asks nothing
        #expect(gaps.enumerated().filter { $0.element > 0 }.count == near.count + far.count)
        #expect(!tokens[0..<64].contains(layout.question))
        #expect(tokens.allSatisfy { $0 >= 0 && $0 < layout.vocabularySize })
    }

    @Test func theAnswersAreNotInTheQueryChunkAndValuesCoverTheRange() {
        let layout = RecallStream.Layout(chunkLength: 64)
        let (tokens, _) = Self.stream(layout, chunks: 60)
        var seenValues = Set<Int>()
        for c in 1..<60 {
            let chunk = Array(tokens[(c * 64)..<(c * 64 + 64)])
            // no key asked in a chunk is stated ("= k") anywhere in that chunk
            let stated = Set((0..<63).filter { chunk[$0] == layout.equals }.map { chunk[$0 + 1] })
            for (j, token) in chunk.enumerated() where token == layout.question {
                #expect(!stated.contains(chunk[j - 1]))
                seenValues.insert(chunk[j + 1])
            }
        }
        #expect(seenValues.count == layout.values, "every value is asked for")
    }

    @Test func aStreamIsItsSeedsAndSmallLayoutsWork() {
        let layout = RecallStream.Layout(chunkLength: 16)
        #expect(layout.facts == 2 && layout.nearQueries == 1 && layout.farQueries == 1 && layout.problem == nil)
        #expect(Self.stream(layout, chunks: 5).tokens == Self.stream(layout, chunks: 5).tokens)
        #expect(Self.stream(layout, chunks: 5).tokens != Self.stream(layout, chunks: 5, seed: 8).tokens)
        #expect(RecallStream.Layout(chunkLength: 8).problem != nil)
        var few = RecallStream.Layout(chunkLength: 64)
        few.keys = 8
        #expect(few.problem?.contains("at least 12 keys") == true)
        #expect(RecallStream.parse(spec: "recall", chunkLength: 64) == RecallStream.Layout(chunkLength: 64))
        #expect(RecallStream.parse(spec: "recall:40:10", chunkLength: 64)?.values == 10)
        #expect(RecallStream.parse(spec: "recall:x", chunkLength: 64) == nil && RecallStream.parse(spec: "modular:add:7", chunkLength: 64) == nil)
        #expect(layout.describe([layout.equals, 0, layout.value(3), layout.end, layout.filler(1)]) == "= k0 v3 ; w1")
    }

    @Test func sequentialChunksFeedEachStreamInOrder() {
        let layout = RecallStream.Layout(chunkLength: 16)
        let (train, val) = RecallStream.splits(layout, streams: 3, valChunks: 4, seed: 5)
        let expected = (0..<3).map { s -> [Int] in
            var stream = RecallStream(layout: layout, seed: RecallStream.seed(5, stream: s))
            return (0..<4).flatMap { _ in stream.nextChunk().tokens }
        }
        let generator = Generator(seed: 1)
        for c in 0..<3 {
            let batch = train.randomBatch(size: 3, generator: generator)
            #expect(batch.inputs.shape == [3, 16] && batch.targetCount == 48)
            let x = batch.inputs.toArray(Int64.self).map(Int.init), y = batch.targets.toArray(Int64.self).map(Int.init)
            for s in 0..<3 {
                #expect(Array(x[(s * 16)..<(s * 16 + 16)]) == Array(expected[s][(c * 16)..<(c * 16 + 16)]), "chunk \(c) of stream \(s)")
                #expect(Array(y[(s * 16)..<(s * 16 + 16)]) == Array(expected[s][(c * 16 + 1)...(c * 16 + 16)]))
            }
            // gaps ride on the targets: a marked target is a value following a ?
            let gaps = batch.extras[RecallStream.gapKey]!.toArray(Int64.self)
            for (i, gap) in gaps.enumerated() where gap > 0 { #expect(x[i] == layout.question && layout.isValue(y[i])) }
        }
        #expect(train.drawn == 3 && train.exampleCount == 0 && train.note != nil)
        // the fixed split: a full pass is its chunks in order, every stream in each batch
        let pass = Array(val.evaluationBatches(size: 2, device: .cpu, rank: 0, ranks: 1))
        #expect(pass.count == 4 && pass.allSatisfy { $0.inputs.shape == [3, 16] } && val.exampleCount == 12)
        let again = Array(val.evaluationBatches(size: 3, device: .cpu, rank: 0, ranks: 1))
        #expect(pass[1].inputs.toArray(Int64.self) == again[1].inputs.toArray(Int64.self))
        #expect(pass[0].inputs.narrow(dim: 1, start: 15, length: 1).toArray(Int64.self)
                == pass[0].targets.narrow(dim: 1, start: 14, length: 1).toArray(Int64.self))
        #expect(pass[1].inputs.narrow(dim: 1, start: 0, length: 1).toArray(Int64.self)
                == pass[0].targets.narrow(dim: 1, start: 15, length: 1).toArray(Int64.self), "chunk 1 continues chunk 0")
        #expect(val.randomBatch(size: 3, generator: generator).inputs.shape == [3, 16])
    }
}
