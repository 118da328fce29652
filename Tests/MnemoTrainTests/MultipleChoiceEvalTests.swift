// MultipleChoiceEvalTests.swift — log-likelihood scoring against a direct forward of a tiny GPT (summed log-softmax of
// the continuation's tokens, greedy flags, lm-eval's left truncation, batched = alone), lm-eval's `_encode_pair` with
// GPT-2's tokenizer, the acc / acc_norm conventions (characters for task files, tokens for llm.c files, first index on
// ties, lm-eval's standard error) checked on hand-computed numbers, and the refusals.
import Foundation
import Testing
import MnemoData
@testable import MnemoModels
@testable import MnemoTrain
@testable import Torch
import TorchNN

/// Σ log-softmax of `continuation` after `context` by one forward over the whole (fitting) sequence, and whether each
/// continuation token is the argmax: the reference the scorer must give.
func directLogLikelihood(_ model: any LanguageModel, context: [Int], continuation: [Int]) -> (Double, Bool) {
    let full = context + continuation
    let input = Tensor(full.dropLast().map(Int64.init), shape: [1, full.count - 1])
    let logp = withNoGrad { model.forward(input, targets: nil).logits.double().logSoftmax(dim: -1) }  // (1, L, V)
    var total = 0.0, greedy = true
    for (k, token) in continuation.enumerated() {
        let row = logp.select(dim: 0, index: 0).select(dim: 0, index: context.count - 1 + k)   // predicts continuation[k]
        total += row.select(dim: 0, index: token).item()
        greedy = greedy && row.argmax().itemInt() == token
    }
    return (total, greedy)
}

@Suite(.serialized) struct MultipleChoiceEvalTests {
    let model: GPT = {
        Random.seed(11)
        let m = GPT(GPTConfig(blockSize: 8, vocabSize: 13, nLayer: 1, nHead: 2, nEmbd: 16, bias: true))
        // larger weights than the initialisation's, so the distributions are far from uniform
        withNoGrad { for p in m.parameters() { p.copy_(p * 4) } }
        m.eval()
        return m
    }()

    @Test func theScorerSumsTheContinuationsLogProbabilitiesAsADirectForward() throws {
        let requests = [
            LogLikelihoodRequest(context: [1, 2, 3], continuation: [4, 5]),
            LogLikelihoodRequest(context: [7], continuation: [0, 12, 3, 3]),
            LogLikelihoodRequest(context: [9, 9, 9, 9], continuation: [6]),
            LogLikelihoodRequest(context: [2, 4, 6], continuation: [8, 10]),        // the same length as the first
        ]
        let scores = try LogLikelihoodScorer(model: model, device: .cpu, rowsPerForward: 8).score(requests)
        let alone = try LogLikelihoodScorer(model: model, device: .cpu, rowsPerForward: 1).score(requests)
        for (r, s) in zip(requests, scores) {
            let (expected, greedy) = directLogLikelihood(model, context: r.context, continuation: r.continuation)
            #expect(Swift.abs(s.logLikelihood - expected) < 1e-4, "\(r): \(s.logLikelihood) vs \(expected)")
            #expect(s.isGreedy == greedy && s.tokenCount == r.continuation.count && s.contextTokensCut == 0)
            #expect(s.logLikelihood < 0)
        }
        #expect(scores == alone, "batched rows score as rows alone")
        // a continuation that is the model's own greedy choice is flagged greedy
        let context = [3, 1, 4]
        let next = withNoGrad { model.forward(Tensor(context.map(Int64.init), shape: [1, 3]), targets: nil).logits }
            .select(dim: 1, index: 2).argmax().itemInt()
        #expect(try LogLikelihoodScorer(model: model, device: .cpu).score([.init(context: context, continuation: [next])])[0].isGreedy)
    }

    @Test func aContextTooLongLosesTokensOnTheLeftAsLmEvalCutsIt() throws {
        // T = 8: lm-eval reads (context + continuation)[-(T + 1):][:-1]
        let context = Array(0..<11), continuation = [12, 5, 7]
        let scored = try LogLikelihoodScorer(model: model, device: .cpu).score([.init(context: context, continuation: continuation)])[0]
        let kept = Array((context + continuation).suffix(9))
        let (expected, _) = directLogLikelihood(model, context: Array(kept.prefix(6)), continuation: continuation)
        #expect(Swift.abs(scored.logLikelihood - expected) < 1e-4)
        #expect(scored.contextTokensCut == 14 - 9)
        // a continuation of exactly T tokens fits (its last token is never read); one more is refused
        _ = try LogLikelihoodScorer(model: model, device: .cpu).score([.init(context: [1], continuation: Array(repeating: 2, count: 8))])
        #expect { try LogLikelihoodScorer(model: model, device: .cpu).score([.init(context: [1], continuation: Array(repeating: 2, count: 9))]) }
            throws: { "\($0)".contains("a continuation of 9 tokens is longer than the model's 8-token context") }
        #expect { try LogLikelihoodScorer(model: model, device: .cpu).score([.init(context: [], continuation: [2])]) }
            throws: { "\($0)".contains("an empty context") }
    }

    @Test func encodePairMovesTheContextsTrailingSpacesOntoTheContinuation() throws {
        let gpt2 = try GPT2Tokenizer(directory: sharedDataPath("gpt2"))
        let encode = { (s: String) in gpt2.encode(s, allowedSpecial: .all) }
        // lm-eval: "Answer: " + " 5" → context "Answer:", continuation "  5"; ids of the whole after the context's
        let pair = MultipleChoiceEval.encodePair(context: "Answer: ", continuation: " 5", encode: encode)
        #expect(pair.context == encode("Answer:"))
        #expect(pair.continuation == Array(encode("Answer:  5").dropFirst(encode("Answer:").count)))
        #expect(gpt2.decode(pair.continuation) == "  5")
        // without trailing space: the continuation's ids are those of the joined text after the context's
        let plain = MultipleChoiceEval.encodePair(context: "12 + 7 =", continuation: " 19", encode: encode)
        #expect(plain.context + plain.continuation == encode("12 + 7 = 19"))
        // a prefix (a Hugging Face folder's <s>) goes before both
        let prefixed = MultipleChoiceEval.encodePair(context: "a\n\t ", continuation: "b", prefix: [50256], encode: encode)
        #expect(prefixed.context == [50256] + encode("a"))
        #expect(prefixed.continuation == Array(encode("a\n\t b").dropFirst(encode("a").count)))
    }

    @Test func accAndAccNormFollowLmEvalOnHandComputedNumbers() {
        // acc: the larger sum wins; acc_norm: per character of the choice (Unicode scalars: "é" is one)
        let short = ChoiceOutcome(source: 1, gold: 1, logLikelihoods: [-4, -6], normalizers: [2, 6])   // -2 vs -1
        #expect(short.prediction == 0 && short.normalizedPrediction == 1)
        // llm.c's: per token — 1 token at -3 (mean -3) against 4 tokens at -4 (mean -1)
        let tokens = ChoiceOutcome(source: 0, gold: 0, logLikelihoods: [-3, -4], normalizers: [1, 4])
        #expect(tokens.prediction == 0 && tokens.normalizedPrediction == 1)
        // ties go to the first choice, as numpy's argmax
        #expect(ChoiceOutcome(source: 0, gold: 1, logLikelihoods: [-1, -1, -2], normalizers: [1, 1, 1]).prediction == 0)
        // four items, three right: mean 0.75, sample std 0.5, stderr 0.5 / √4 = 0.25
        let scores = MultipleChoiceScores(outcomes: [
            ChoiceOutcome(source: 1, gold: 0, logLikelihoods: [-1, -2], normalizers: [1, 1]),
            ChoiceOutcome(source: 2, gold: 1, logLikelihoods: [-3, -2], normalizers: [1, 1]),
            ChoiceOutcome(source: 3, gold: 0, logLikelihoods: [-1, -9], normalizers: [1, 1]),
            ChoiceOutcome(source: 4, gold: 0, logLikelihoods: [-5, -2], normalizers: [1, 1]),
        ], normalization: .characters, itemsCut: 0)
        #expect(scores.acc.mean == 0.75 && Swift.abs(scores.acc.stderr - 0.25) < 1e-15)
        #expect(meanAndStderr([1]).mean == 1 && meanAndStderr([1]).stderr.isNaN)
    }

    @Test func taskItemsAreScoredWithCharacterNormalisation() throws {
        let tokenizer = CharTokenizer(corpus: "abcdefgh =é")
        let items = [
            MultipleChoiceItem(query: "ab =", choices: ["c", "déf"], gold: 1, line: 1),
            MultipleChoiceItem(query: "ba = ", choices: ["hhhhhh", "g"], gold: 0, line: 2),
        ]
        let prepared = try MultipleChoiceEval.prepare(items, file: "t.jsonl", contextLength: model.contextLength) { tokenizer.encode($0) }
        #expect(prepared.requests.count == 4 && prepared.normalization == .characters)
        #expect(prepared.items.map(\.normalizers) == [[1, 3], [6, 1]], "characters of the choice, the delimiter not counted")
        // the second item's query ends in a space: lm-eval moves it onto the choice, so the continuation is "  hhhhhh"
        #expect(prepared.requests[2].context == tokenizer.encode("ba =") && prepared.requests[2].continuation == tokenizer.encode("  hhhhhh"))
        let scores = try MultipleChoiceEval.evaluate(prepared, scorer: LogLikelihoodScorer(model: model, device: .cpu))
        for (o, r) in zip(scores.outcomes.flatMap { o in o.logLikelihoods }, prepared.requests) {
            let (expected, _) = directLogLikelihood(model, context: Array(r.context.suffix(8 + 1 - r.continuation.count)), continuation: r.continuation)
            #expect(Swift.abs(o - expected) < 1e-4)
        }
        #expect(scores.outcomes.map(\.source) == [1, 2] && scores.itemsCut == 1, "'  hhhhhh' after 'ba =' is 12 tokens: cut to 9")
        #expect(prepared.prefix(1).requests.count == 2 && prepared.prefix(1).items.count == 1)
    }

    @Test func llmcExamplesAreScoredPerTokenAndCheckedAgainstTheVocabulary() throws {
        let examples = [HellaSwagExample(index: 0, label: 1, context: [1, 2], completions: [[3], [4, 5, 6]]),
                        HellaSwagExample(index: 1, label: 0, context: [7, 8, 9], completions: [[10, 11], [12]])]
        let prepared = try MultipleChoiceEval.prepare(examples, file: "h.bin", contextLength: 8, vocabularySize: 13)
        #expect(prepared.normalization == .tokens && prepared.items.map(\.normalizers) == [[1, 3], [2, 1]])
        let scores = try MultipleChoiceEval.evaluate(prepared, scorer: LogLikelihoodScorer(model: model, device: .cpu))
        let (expected, _) = directLogLikelihood(model, context: [1, 2], continuation: [4, 5, 6])
        #expect(Swift.abs(scores.outcomes[0].logLikelihoods[1] - expected) < 1e-4)
        #expect { try MultipleChoiceEval.prepare(examples, file: "h.bin", contextLength: 8, vocabularySize: 12) } throws: {
            "\($0)".contains("h.bin: example 1 holds token id 12, outside the model's 12-token vocabulary")
        }
    }

    @Test func aChoiceThatAddsNoTokensOrDoesNotFitIsRefusedWithItsLine() throws {
        let tokenizer = CharTokenizer(corpus: "abc ")
        let long = [MultipleChoiceItem(query: "a", choices: ["b", String(repeating: "c", count: 9)], gold: 0, line: 7)]
        #expect { try MultipleChoiceEval.prepare(long, file: "t.jsonl", contextLength: 8) { tokenizer.encode($0) } } throws: {
            "\($0)".contains("t.jsonl:7: choice 1 has 10 tokens, more than the model's 8-token context")
        }
        // a character vocabulary refuses a character it does not have (naming the item) instead of stopping the process
        let unknown = [MultipleChoiceItem(query: "a", choices: ["b", "z"], gold: 0, line: 5)]
        #expect { try MultipleChoiceEval.prepare(unknown, file: "t.jsonl", contextLength: 8) { try evaluationIDs(of: $0, tokenizer) } }
            throws: { "\($0)".contains("t.jsonl:5: ") && "\($0)".contains("is not in the vocabulary") }
        let empty = [MultipleChoiceItem(query: "a", choices: ["b", "c"], gold: 0, line: 3)]
        #expect { try MultipleChoiceEval.prepare(empty, file: "t.jsonl", contextLength: 8, delimiter: "") { _ in [1] } } throws: {
            "\($0)".contains("t.jsonl:3: choice 0 adds no tokens to the query")
        }
    }
}
