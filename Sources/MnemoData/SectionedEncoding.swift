// SectionedEncoding.swift — a large text encoded in sections, each on all threads, with a call after each, so that
// long work (`mnemo data prepare` on a big corpus) can show its progress. The sections are cut where cutting cannot
// change the ids (ParallelEncoding.swift gives the rule for byte-level BPE; a character vocabulary can be cut
// anywhere between characters), so the concatenated ids are exactly those of encoding the whole text. A tokenizer
// that cannot be cut (a Hugging Face tokenizer with add_prefix_space, or one whose special tokens strip spaces,
// or a tokenizer from elsewhere) encodes the text as one section.

/// Tokenizers that can say where a text may be cut into independently encoded sections.
protocol SectionCutting {
    /// UTF-8 byte offsets, first 0 and last `count`, of about `parts` sections of `p[0..<count]` whose ids, encoded
    /// one by one with `allowedSpecial` and concatenated, equal the ids of the whole; nil when it cannot be cut.
    func sectionCuts(_ p: UnsafePointer<UInt8>, count: Int, parts: Int, allowedSpecial: SpecialTokenPolicy) -> [Int]?
}

extension ByteLevelEncoder: SectionCutting {
    func sectionCuts(_ p: UnsafePointer<UInt8>, count: Int, parts: Int, allowedSpecial policy: SpecialTokenPolicy) -> [Int]? {
        let matcher = matcher(policy)
        // The same conditions as encodeConcurrently: a prefix space or a stripping token depends on the text before.
        if addPrefixSpace || (matcher?.strips ?? false) { return nil }
        return safeCuts(p, count: count, parts: parts, avoiding: matcher)
    }
}

extension GPT2Tokenizer: SectionCutting {
    func sectionCuts(_ p: UnsafePointer<UInt8>, count: Int, parts: Int, allowedSpecial: SpecialTokenPolicy) -> [Int]? {
        encoder.sectionCuts(p, count: count, parts: parts, allowedSpecial: allowedSpecial)
    }
}

extension HFTokenizer: SectionCutting {
    func sectionCuts(_ p: UnsafePointer<UInt8>, count: Int, parts: Int, allowedSpecial: SpecialTokenPolicy) -> [Int]? {
        encoder.sectionCuts(p, count: count, parts: parts, allowedSpecial: allowedSpecial)
    }
}

extension CharTokenizer: SectionCutting {
    /// Any boundary between characters: each character is one id.
    func sectionCuts(_ p: UnsafePointer<UInt8>, count: Int, parts: Int, allowedSpecial: SpecialTokenPolicy) -> [Int]? {
        var cuts = [0]
        for k in 1..<max(1, parts) {
            var i = max(k * count / parts, cuts.last! + 1)
            while i < count && p[i] & 0xC0 == 0x80 { i += 1 }  // not inside a UTF-8 sequence
            if i < count { cuts.append(i) }
        }
        cuts.append(count)
        return cuts
    }
}

extension Tokenizer {
    /// The ids of `text` (those of `encodeConcurrently(text, allowedSpecial:threads:)`), encoded in sections of about
    /// `sectionBytes` UTF-8 bytes; `progress` gets each section's byte count when it is done.
    func encodeInSections(_ text: String, allowedSpecial: SpecialTokenPolicy, threads: Int, sectionBytes: Int,
                          progress: (Int) -> Void) -> [Int] {
        var copy = text
        return copy.withUTF8 { buffer -> [Int] in
            guard let p = buffer.baseAddress, buffer.count > 0 else { return [] }
            let parts = buffer.count / max(1, sectionBytes)
            guard parts > 1, let cutter = self as? SectionCutting,
                  let cuts = cutter.sectionCuts(p, count: buffer.count, parts: parts, allowedSpecial: allowedSpecial)
            else {
                let ids = encodeConcurrently(text, allowedSpecial: allowedSpecial, threads: threads)
                progress(buffer.count)
                return ids
            }
            var ids: [Int] = []
            for k in 0..<(cuts.count - 1) where cuts[k + 1] > cuts[k] {
                let section = String(decoding: UnsafeBufferPointer(start: p + cuts[k], count: cuts[k + 1] - cuts[k]), as: UTF8.self)
                ids += encodeConcurrently(section, allowedSpecial: allowedSpecial, threads: threads)
                progress(cuts[k + 1] - cuts[k])
            }
            return ids
        }
    }
}
