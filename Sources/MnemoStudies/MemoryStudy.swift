// MemoryStudy.swift — `mnemo study memory`: does the explicit memory bank remember? Synthetic fact recall
// (shared/research/minimind.md §4), each arm an ordinary run of the trainer from configs/memory-study.toml.
//
// Data: a closed vocabulary (pad, SEP, 64 name pieces, 8 relations, 100 objects); 1,000 subjects of two name
// pieces; 2,000 facts `s1 s2 r → o` with a uniform object. Half the facts (S_text) appear in the training text
// (8 facts per 40-token window: s1 s2 r o SEP …); the other half (S_mem) never do. The bank (4,096 rows of 8 ids)
// holds every fact as a row [s1 s2 r o pad…] at a random place, the other rows random ids — so training can learn
// to look facts up on S_text and the question is whether that carries to S_mem, which only the bank holds.
// Arms: A (MiniMind with its SwiGLU FFN, hidden width matched to the memory layer's parameters), B (the faithful
// ExplicitLM layer), B-rand (the working layer over a bank of random rows: the control), B-fix (the working layer
// with dense retrieval — softmax attention over all 4,096 rows, so every row's content gets a gradient), B-exact
// (top-k by cosine over every row, chosen without gradient), B-sup (B-fix plus supervised retrieval: the row logits
// are trained toward the row holding the text's next n-gram — labels exist for S_text facts only, so S_mem asks whether
// the learned lookup carries to rows it was never trained on), B-keys (trained product keys: keys learn where the rows
// they were trained on sit, which says nothing about other rows).
// B-ptr, B-ptr-sup and B-ptr-exact: the pointer readout (`memory_readout = "pointer"`: the rows' next tokens as a copy
// distribution mixed into the head by a learned gate) with dense retrieval, with dense retrieval and supervision, and
// with exact top-k retrieval.
// Knowledge editing (every arm whose bank holds the facts): after the measurement, the rows of the first 100 bank-only
// facts get another object; efficacy is the fraction of those questions then answered with the new object,
// specificity the fraction of every other fact whose answer did not change (ROME/MEMIT's two numbers); then the rows
// are restored.
// EMA off (the facts stay as written). Reported per arm and seed: object accuracy on S_text and S_mem (chance 1%),
// hit@k (the fact's row among a layer's candidates at the question's position) and hit@1 (the selected row), both
// at the best layer, parameters, MACs per token, tokens/s.
//
// The tokens are written as characters (U+4E00 + id) with a fixed character vocabulary, so the runs are plain
// text-file runs of `mnemo train` with `tokenizer = "char:VOCAB"`.
import Foundation
import MnemoData
import MnemoModels
import MnemoReport
import MnemoSupport
import MnemoTrain
import Torch
import TorchNN

public struct MemoryStudy: Study {
    public struct Arm: StudyArm {
        public var name: String
        public var summary: String
        public var settings: [String]
        public var bank: BankContent
    }
    public enum BankContent: Sendable { case none, facts, random }

    public static let arms: [Arm] = [
        Arm(name: "A", summary: "MiniMind with its SwiGLU FFN (hidden width matched to the memory layer's parameters)",
            settings: ["use_memory=false"], bank: .none),
        Arm(name: "B", summary: "the faithful ExplicitLM layer: untrained product keys, hard Gumbel τ = 1, facts in the bank",
            settings: ["use_memory=true", "memory_faithful=true"], bank: .facts),
        Arm(name: "B-rand", summary: "the working layer with dense retrieval (softmax of cos/τ over every row) over a bank of random rows: the control",
            settings: ["use_memory=true", "memory_faithful=false", "memory_retrieval=dense"], bank: .random),
        Arm(name: "B-fix", summary: "the working layer with dense retrieval (softmax of cos/τ over every row), facts in the bank",
            settings: ["use_memory=true", "memory_faithful=false", "memory_retrieval=dense"], bank: .facts),
        Arm(name: "B-exact", summary: "the working layer with exact top-k retrieval (the k rows of largest cosine, chosen without gradient), facts in the bank",
            settings: ["use_memory=true", "memory_faithful=false", "memory_retrieval=exact"], bank: .facts),
        Arm(name: "B-sup", summary: "B-fix with supervised retrieval: cross-entropy of the row logits toward the row that continues the text (text facts only)",
            settings: ["use_memory=true", "memory_faithful=false", "memory_retrieval=dense", "memory_supervision_weight=1"], bank: .facts),
        Arm(name: "B-keys", summary: "the working layer with trained product keys (ℓ = pk + cos/τ), facts in the bank",
            settings: ["use_memory=true", "memory_faithful=false", "memory_retrieval=product_keys"], bank: .facts),
        Arm(name: "B-ptr", summary: "the pointer readout (the rows' next tokens as a gated copy distribution at the head) with dense retrieval, facts in the bank",
            settings: ["use_memory=true", "memory_faithful=false", "memory_retrieval=dense", "memory_readout=pointer"], bank: .facts),
        Arm(name: "B-ptr-sup", summary: "B-ptr with supervised retrieval (as B-sup)",
            settings: ["use_memory=true", "memory_faithful=false", "memory_retrieval=dense", "memory_readout=pointer",
                       "memory_supervision_weight=1"], bank: .facts),
        Arm(name: "B-ptr-exact", summary: "the pointer readout with exact top-k retrieval (the k rows of largest cosine), facts in the bank",
            settings: ["use_memory=true", "memory_faithful=false", "memory_retrieval=exact", "memory_readout=pointer"], bank: .facts),
    ]

    /// Bank-only facts whose rows the editing measurement rewrites.
    public static let edits = 100

    // The closed vocabulary.
    static let pad = 0, separator = 1, names = 2..<66, relations = 66..<74, objects = 74..<174
    static let vocabularySize = 174
    static let factLength = 5, factsPerWindow = 8

    public struct Fact: Sendable, Hashable {
        public var s1: Int, s2: Int, relation: Int, object: Int
        var tokens: [Int] { [s1, s2, relation, object] }
    }

    /// The facts and the bank, generated from `seed` (the same for every arm).
    public struct Dataset: Sendable {
        public var text: [Fact]
        public var memoryOnly: [Fact]
        /// Row index of each fact in the bank.
        public var row: [Fact: Int]
        public var rows: Int
        public var rowLength: Int

        public init(seed: UInt64 = 2024, subjects: Int = 1000, facts: Int = 2000, rows: Int = 4096, rowLength: Int = 8) {
            var rng = SplitMix64(seed)
            var pairs = Set<[Int]>()
            while pairs.count < subjects { pairs.insert([names.randomElement(using: &rng)!, names.randomElement(using: &rng)!]) }
            let people = pairs.sorted { $0.lexicographicallyPrecedes($1) }.shuffled(using: &rng)
            var keys = Set<[Int]>()
            var all: [Fact] = []
            while all.count < facts {
                let p = people.randomElement(using: &rng)!, r = relations.randomElement(using: &rng)!
                guard keys.insert(p + [r]).inserted else { continue }
                all.append(Fact(s1: p[0], s2: p[1], relation: r, object: objects.randomElement(using: &rng)!))
            }
            text = Array(all.prefix(facts / 2))
            memoryOnly = Array(all.suffix(facts - facts / 2))
            let places = Array(0..<rows).shuffled(using: &rng)
            row = Dictionary(uniqueKeysWithValues: all.enumerated().map { ($0.element, places[$0.offset]) })
            self.rows = rows
            self.rowLength = rowLength
        }

        /// `count` facts drawn from `facts`, each followed by SEP.
        func stream(_ facts: [Fact], count: Int, seed: UInt64) -> [Int] {
            var rng = SplitMix64(seed)
            var out: [Int] = []
            out.reserveCapacity(count * factLength)
            for _ in 0..<count { out += facts.randomElement(using: &rng)!.tokens + [separator] }
            return out
        }

        /// The bank's rows: facts at their places, random ids (or nothing: `random` = all rows random) elsewhere.
        func bankRows(_ content: BankContent, seed: UInt64) -> [[Int]] {
            var rng = SplitMix64(seed)
            var rows = (0..<self.rows).map { _ in (0..<rowLength).map { _ in Int.random(in: 2..<vocabularySize, using: &rng) } }
            if content == .facts {
                for (fact, place) in row { rows[place] = fact.tokens + Array(repeating: pad, count: rowLength - 4) }
            }
            return rows
        }
    }

    /// The preset every arm starts from.
    public static let preset = "configs/memory-study.toml"

    public var plan: StudyPlan
    public var dataset = Dataset()

    public init(plan: StudyPlan) {
        self.plan = plan
    }

    static func character(_ id: Int) -> Character { Character(Unicode.Scalar(0x4E00 + id)!) }

    /// Writes the corpus (train: S_text facts; val: S_mem facts) and the character vocabulary; every run trains on
    /// them, with the validation fraction that puts the split at the boundary.
    public func prepare() throws -> [String] {
        let train = dataset.stream(dataset.text, count: 60_000, seed: 1), val = dataset.stream(dataset.memoryOnly, count: 6_000, seed: 2)
        let corpus = "\(plan.output)/facts.txt", vocabulary = "\(plan.output)/vocabulary.json"
        try AtomicFile.write(Data(String((train + val).map(Self.character)).utf8), to: corpus)
        try CharTokenizer(characters: (0..<Self.vocabularySize).map { Unicode.Scalar(0x4E00 + $0)! }).save(to: vocabulary)
        let valFraction = Double(val.count) / Double(train.count + val.count)
        return ["data=\(corpus)", "tokenizer=char:\(vocabulary)", "val_fraction=\(valFraction)"]
    }

    /// Arm A (no bank) gets the memory layer's parameters in its SwiGLU.
    public func configure(_ config: inout TrainConfig, for run: StudyRun<Arm>) throws {
        if run.arm.bank == .none { try Self.matchParameters(&config) }
    }

    /// The bank's rows, before the first step (saved with it).
    public func start(_ trainer: Trainer, for run: StudyRun<Arm>) throws {
        let model = try Self.mini(trainer)
        if run.arm.bank != .none { model.fillMemory(dataset.bankRows(run.arm.bank, seed: UInt64(run.seed) &* 7919)) }
    }

    public func writeReport(_ records: [MemoryArmRecord]) throws { try MemoryReport.write(records, to: plan.output) }

    static func mini(_ trainer: Trainer) throws -> MiniMind {
        guard let model = trainer.model as? MiniMind else { throw ConfigError("the memory study's preset must use model = \"minimind\"") }
        return model
    }

    /// Arm A's SwiGLU width: the memory layer's parameters per layer divided by SwiGLU's 3·d per hidden unit.
    static func matchParameters(_ config: inout TrainConfig) throws {
        var memory = config
        try memory.apply(override: "use_memory=true")
        guard let spec = memory.model.configuration as? MiniMindConfig else { return }
        let d = spec.dim, dk = spec.memoryKeyDim, n = Int(Double(spec.memoryRows).squareRoot())
        let perLayer = d /* norm */ + d * dk + 2 * n * (dk / 2) + 2 * (2 * d * d) + d * d + 1
        try config.apply(override: "hidden_dim=\(Swift.max(1, (perLayer - d) / (3 * d)))")
    }

    /// Accuracy of the object after `s1 s2 r`, hit@k and hit@1 of the fact's row, and the answer given, over a set of
    /// facts.
    func measure(_ facts: [Fact], model: MiniMind, device: Device) -> (accuracy: Double, hitK: Double, hitOne: Double, answers: [Int]) {
        model.eval()
        defer { model.train() }
        var correct = 0, hitsK = 0, hitsOne = 0, total = 0
        var answers: [Int] = []
        withNoGrad {
            let perWindow = Self.factsPerWindow
            for start in stride(from: 0, to: facts.count, by: perWindow * 32) {
                let chunk = Array(facts[start..<Swift.min(start + perWindow * 32, facts.count)])
                let windows = (chunk.count + perWindow - 1) / perWindow
                var ids: [Int64] = []
                for w in 0..<windows {
                    for i in 0..<perWindow {
                        let fact = chunk[(w * perWindow + i) % chunk.count]
                        ids += (fact.tokens + [Self.separator]).map(Int64.init)
                    }
                }
                let t = perWindow * Self.factLength
                let x = Tensor(ids, shape: [windows, t], device: device)
                let predictions = model.forward(x, targets: nil).logits.argmax(dim: -1).to(.cpu).toArray(Int64.self)
                let candidates = model.memoryCandidates.map { $0.to(.cpu).toArray(Int64.self) }     // per layer (W, T, k)
                let selected = model.memorySelected.map { $0.to(.cpu).toArray(Int64.self) }        // per layer (W·T)
                let k = model.config.memoryCandidates
                for w in 0..<windows {
                    for i in 0..<perWindow where w * perWindow + i < chunk.count {
                        let fact = chunk[w * perWindow + i]
                        let position = w * t + i * Self.factLength + 2                                // the relation token
                        total += 1
                        answers.append(Int(predictions[position]))
                        if predictions[position] == Int64(fact.object) { correct += 1 }
                        guard let gold = dataset.row[fact].map(Int64.init) else { continue }
                        if candidates.contains(where: { Array($0[(position * k)..<(position * k + k)]).contains(gold) }) { hitsK += 1 }
                        if selected.contains(where: { $0[position] == gold }) { hitsOne += 1 }
                    }
                }
            }
        }
        let n = Double(Swift.max(total, 1))
        return (Double(correct) / n, Double(hitsK) / n, Double(hitsOne) / n, answers)
    }

    /// The object an edit writes instead of `fact.object` (the i-th edit): another object, never the same.
    static func editedObject(_ fact: Fact, _ i: Int) -> Int {
        objects.lowerBound + (fact.object - objects.lowerBound + 1 + i % (objects.count - 1)) % objects.count
    }

    /// Knowledge editing: the rows of the first `count` bank-only facts get another object (`editedObject`); efficacy
    /// = the fraction of edited questions then answered with the new object, specificity = the fraction of every other
    /// fact (text and bank-only) whose answer is the one it was before. The rows are restored afterwards.
    func editing(model: MiniMind, device: Device, count: Int = MemoryStudy.edits) -> (efficacy: Double, specificity: Double, edits: Int) {
        let edited = Array(dataset.memoryOnly.prefix(count))
        let others = dataset.text + Array(dataset.memoryOnly.dropFirst(edited.count))
        let before = measure(others, model: model, device: device).answers
        let pad = Array(repeating: Self.pad, count: Swift.max(0, dataset.rowLength - 4))
        func write(_ object: (Int, Fact) -> Int) {
            for (i, fact) in edited.enumerated() {
                var row = fact.tokens
                row[3] = object(i, fact)
                model.fillMemory([row + pad], from: dataset.row[fact]!)
            }
        }
        write { i, fact in Self.editedObject(fact, i) }
        defer { write { _, fact in fact.object } }
        let answers = measure(edited, model: model, device: device).answers
        let after = measure(others, model: model, device: device).answers
        let hits = zip(edited.indices, answers).filter { Self.editedObject(edited[$0.0], $0.0) == $0.1 }.count
        let kept = zip(before, after).filter { $0.0 == $0.1 }.count
        return (Double(hits) / Double(Swift.max(edited.count, 1)), Double(kept) / Double(Swift.max(others.count, 1)), edited.count)
    }

    /// Object accuracy, hit@k and hit@1 on the text facts and on the bank-only facts.
    public func record(of run: StudyRun<Arm>, trainer: Trainer) throws -> MemoryArmRecord {
        let model = try Self.mini(trainer)
        let text = measure(dataset.text, model: model, device: trainer.device)
        let memory = measure(dataset.memoryOnly, model: model, device: trainer.device)
        let edit = run.arm.bank == .facts ? editing(model: model, device: trainer.device) : nil
        let metrics = try MetricsLog(contentsOf: "\(trainer.runDirectory)/metrics.jsonl")
        let tokensPerStep = trainer.config.tokensPerIteration ?? 0
        return MemoryArmRecord(arm: run.arm.name, summary: run.arm.summary, seed: run.seed, runDirectory: trainer.runDirectory,
                               parameters: model.parameterCount(nonEmbedding: true), macsPerToken: Self.macsPerToken(model.config),
                               textAccuracy: text.accuracy, memoryAccuracy: memory.accuracy,
                               textHitK: text.hitK, memoryHitK: memory.hitK, textHitOne: text.hitOne, memoryHitOne: memory.hitOne,
                               candidates: model.config.useMemory ? model.config.memoryCandidates : 0,
                               bankRows: model.config.useMemory ? model.config.memoryRows : 0,
                               metrics: metrics, tokensPerStep: tokensPerStep,
                               editEfficacy: edit?.efficacy, editSpecificity: edit?.specificity, edits: edit?.edits ?? 0)
    }

    /// Multiply-accumulates per token of the blocks (attention projections, scores at the average context, and the
    /// FFN or the memory layer: projection, key scoring, decode, cosines, fusion), without the head.
    public static func macsPerToken(_ c: MiniMindConfig) -> Int {
        let d = c.dim, kv = c.nKVHeads * c.headDim, context = c.maxSeqLen / 2
        let attention = d * d + 2 * d * kv + d * d + 2 * context * d
        let ffn: Int
        if c.useMemory {
            let n = Int(Double(c.memoryRows).squareRoot()), k = c.memoryCandidates
            let retrieval: Int
            switch c.memoryRetrieval {
            case .exact: retrieval = c.memoryRows * d                                       // a cosine per row
            case .dense: retrieval = c.memoryRows * c.memoryKeyDim + c.memoryRows * d       // scores and the weighted sum
            default: retrieval = 2 * n * (c.memoryKeyDim / 2) + k * k                        // two √N key sets, k² sums
            }
            ffn = d * c.memoryKeyDim + retrieval + k * c.memoryLength * d + k * d + 2 * (2 * d * d) + d * d
        } else {
            ffn = 3 * d * c.feedForwardDim
        }
        return c.nLayers * (attention + ffn)
    }
}
