// RecallStream.swift — an endless associative-recall stream, generated from a seed, whose answers lie outside the
// window a query is read in: key–value facts (`= k7 v3 ;`) are stated at the end of one chunk and asked for
// (`k7 ? v3 ;`) at the start of the next chunk ("near") or of the chunk after it ("far"). A chunk is one training
// window of `chunkLength` tokens (block_size), so a plain transformer, which reads one chunk, never sees the fact it is
// asked about; only a memory carried across chunks can answer.
//
// Chunk c (T tokens), aligned with the trainer's windows:
//   [queries: Qn near (facts of chunk c−1) + Qf far (facts of chunk c−2 not asked in chunk c−1), shuffled, 4 tokens
//    each] [filler words] [F facts, 4 tokens each]
// Chunk 0 has no queries and chunk 1 no far ones (filler takes their places). Each chunk's keys differ from the two
// chunks' before it, so the latest statement of an asked key is the one asked about; values are drawn uniformly with
// replacement, so a fact shown in the chunk tells nothing about another (chance is 1/values). Every value token of a
// query carries its gap: how many positions before the query's `?` (the position whose prediction is scored) the fact's
// value token stands — the STM of a CortexGPT layer reaches it when gap ≤ cortex_stm_slots. In a fact the value follows
// its key directly, as in a query the `?` does: both positions have the key as their previous token, which is what a
// memory read from the `?` can match on.
//
// Tokens are numbers (NumberTokenizer): keys 0..<K, values K..<K+V, then `=`, `?`, `;`, then the filler words.
// It refuses to guess: a chunk too short for its facts and queries, or too few keys to keep three chunks apart, is a
// precondition failure (TokenData checks the config first).
import MnemoSupport

public struct RecallStream: Sendable {
    public struct Layout: Sendable, Equatable {
        public var chunkLength: Int
        public var keys: Int
        public var values: Int
        public var fillerWords: Int
        /// Facts stated at the end of each chunk.
        public var facts: Int
        /// Queries at the start of each chunk about the previous chunk's facts (near) and the one before it (far).
        public var nearQueries: Int
        public var farQueries: Int

        /// The default for a chunk length: F = max(2, T/16) facts, Qf = max(1, F/4) far and F − Qf near queries
        /// (T = 64: 4 facts, 3 near, 1 far, 32 filler words); 32 keys, 16 values, 8 filler words.
        public init(chunkLength: Int, keys: Int = 32, values: Int = 16, fillerWords: Int = 8) {
            self.chunkLength = chunkLength
            self.keys = keys
            self.values = values
            self.fillerWords = fillerWords
            facts = Swift.max(2, chunkLength / 16)
            farQueries = Swift.max(1, facts / 4)
            nearQueries = facts - farQueries
        }

        public var vocabularySize: Int { keys + values + 3 + fillerWords }
        public func key(_ i: Int) -> Int { i }
        public func value(_ i: Int) -> Int { keys + i }
        public var equals: Int { keys + values }
        public var question: Int { keys + values + 1 }
        public var end: Int { keys + values + 2 }
        public func filler(_ i: Int) -> Int { keys + values + 3 + i }
        public func isValue(_ token: Int) -> Bool { token >= keys && token < keys + values }

        /// Why this layout cannot make a stream (nil when it can).
        public var problem: String? {
            if chunkLength < 16 { return "the recall stream needs chunks (block_size) of at least 16 tokens, got \(chunkLength)" }
            if 4 * (facts + nearQueries + farQueries) > chunkLength {
                return "\(facts) facts and \(nearQueries + farQueries) queries of 4 tokens do not fit a chunk of \(chunkLength)"
            }
            if keys < 3 * facts { return "the recall stream needs at least \(3 * facts) keys (3 chunks' facts apart), got \(keys)" }
            if values < 2 || fillerWords < 1 { return "the recall stream needs at least 2 values and 1 filler word" }
            if nearQueries > facts || farQueries > facts - nearQueries { return "more queries than facts to ask about" }
            return nil
        }

        /// Tokens as text: "= k7 v3 ; w2 …" (for tests and messages).
        public func describe(_ tokens: [Int]) -> String {
            tokens.map { t in
                if t < keys { return "k\(t)" }
                if t < keys + values { return "v\(t - keys)" }
                switch t {
                case equals: return "="
                case question: return "?"
                case end: return ";"
                default: return "w\(t - keys - values - 3)"
                }
            }.joined(separator: " ")
        }
    }

    /// One chunk: its tokens and, per token, the gap of a query's value token (0 for every other token).
    public struct Chunk: Sendable {
        public var tokens: [Int]
        public var gaps: [Int]
    }

    public let layout: Layout
    var random: SplitMix64
    /// Chunks made so far.
    public private(set) var chunkIndex = 0
    /// The facts (key, value, stream position of the value token) of the last two chunks, newest first, and which of
    /// the older one's facts the newest chunk asked about.
    var recent: [[(key: Int, value: Int, position: Int)]] = []
    var askedNear: Set<Int> = []

    public init(layout: Layout, seed: UInt64) {
        precondition(layout.problem == nil, "RecallStream: \(layout.problem ?? "")")
        self.layout = layout
        random = SplitMix64(seed)
    }

    /// The seed of stream `index` of a set seeded with `seed` (streams of one set differ; sets of different seeds too).
    public static func seed(_ seed: UInt64, stream index: Int) -> UInt64 {
        var mix = SplitMix64(seed ^ (UInt64(index) &* 0xD6E8_FEB8_6659_FD93))
        return mix.next()
    }

    /// The next chunk of the stream.
    public mutating func next() -> Chunk {
        let l = layout, start = chunkIndex * l.chunkLength
        var tokens: [Int] = [], gaps: [Int] = []
        tokens.reserveCapacity(l.chunkLength)
        func filler(_ n: Int) {
            for _ in 0..<n { tokens.append(l.filler(Int.random(in: 0..<l.fillerWords, using: &random))); gaps.append(0) }
        }
        // queries: near about the last chunk's facts, far about the facts of the chunk before it it did not ask about
        var queries: [(key: Int, value: Int, position: Int)] = []
        var nowAsked: Set<Int> = []
        if let last = recent.first {
            for i in Array(last.indices).shuffled(using: &random).prefix(l.nearQueries) {
                queries.append(last[i])
                nowAsked.insert(last[i].key)
            }
        }
        if recent.count > 1 {
            let older = recent[1].filter { !askedNear.contains($0.key) }
            queries += older.shuffled(using: &random).prefix(l.farQueries)
        }
        queries.shuffle(using: &random)
        for q in queries {
            let questionPosition = start + tokens.count + 1
            tokens += [q.key, l.question, q.value, l.end]
            gaps += [0, 0, questionPosition - q.position, 0]
        }
        filler(4 * (l.nearQueries + l.farQueries - queries.count))
        filler(l.chunkLength - tokens.count - 4 * l.facts)
        // facts, with keys none of the last two chunks used
        let used = Set(recent.flatMap { $0.map(\.key) })
        let keys = (0..<l.keys).filter { !used.contains($0) }.shuffled(using: &random).prefix(l.facts)
        var facts: [(key: Int, value: Int, position: Int)] = []
        for key in keys {
            let value = l.value(Int.random(in: 0..<l.values, using: &random))
            facts.append((key, value, start + tokens.count + 2))
            tokens += [l.equals, l.key(key), value, l.end]
            gaps += [0, 0, 0, 0]
        }
        recent = Array(([facts] + recent).prefix(2))
        askedNear = nowAsked
        chunkIndex += 1
        return Chunk(tokens: tokens, gaps: gaps)
    }
}

extension RecallStream: ChunkStream {
    public var chunkLength: Int { layout.chunkLength }
    public mutating func nextChunk() -> (tokens: [Int], annotations: [Int]) {
        let chunk = next()
        return (chunk.tokens, chunk.gaps)
    }
}

/// The stream as a run's data: `data = "recall"` (or "recall:KEYS:VALUES"), chunks of block_size tokens, batch_size
/// parallel streams: train endless (seeded with data_seed), val `valChunks` chunks of as many other streams.
extension RecallStream {
    public static let specUsage = "recall or recall:KEYS:VALUES (e.g. recall:32:16)"
    /// The extras key of a batch's gaps (SequentialChunks' annotation).
    public static let gapKey = "recall_gap"

    /// The layout a "recall[:KEYS:VALUES]" spec names for chunks of `chunkLength`; nil when `text` is not one.
    public static func parse(spec text: String, chunkLength: Int) -> Layout? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.first == "recall" else { return nil }
        var layout = Layout(chunkLength: chunkLength)
        if parts.count == 1 { return layout }
        guard parts.count == 3, let keys = Int(parts[1]), let values = Int(parts[2]), keys >= 1, values >= 1,
              keys + values <= 100_000 else { return nil }
        layout.keys = keys
        layout.values = values
        return layout
    }

    /// Train (endless) and val (`valChunks` chunks) splits of `streams` parallel streams each, none shared.
    public static func splits(_ layout: Layout, streams: Int, valChunks: Int, seed: UInt64)
        -> (train: SequentialChunks<RecallStream>, val: SequentialChunks<RecallStream>) {
        func make(_ set: UInt64) -> [RecallStream] {
            (0..<streams).map { RecallStream(layout: layout, seed: Self.seed(seed &+ set, stream: $0)) }
        }
        return (SequentialChunks(streams: make(0), annotation: gapKey),
                SequentialChunks(streams: make(0x5EED_0F_5A1), annotation: gapKey, chunks: valChunks))
    }
}
