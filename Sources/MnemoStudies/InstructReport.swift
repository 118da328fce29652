// InstructReport.swift — the instruction-tuning study's table (results.md) and page (report.html): per arm and seed the
// accuracy of greedy chat replies about held-out and tuned people, the share of sentence answers, the val loss under
// the arm's objective, trainable parameters, steps, wall time and (DPO) the last reward accuracy and margin; the means
// over seeds; verdicts computed from those numbers.
import Foundation
import MnemoReport
import MnemoSupport

public struct InstructArmRecord: StudyRunRecord, Sendable {
    public var arm: String
    public var summary: String
    public var stage: String
    public var seed: Int
    public var runDirectory: String
    public var trainableParameters: Int
    public var steps: Int
    /// Full pass over val under the arm's own objective (next-token loss on the assistant turns; DPO's loss for dpo).
    public var valLoss: Double
    public var heldOutAccuracy: Double
    public var tunedAccuracy: Double
    /// The share of held-out replies that are sentences (the preference DPO targets).
    public var heldOutSentences: Double
    public var heldOutQuestions: Int
    /// The first held-out question and the reply.
    public var example: String
    public var metrics: MetricsLog

    public var wallSeconds: Double? { metrics.last("elapsed_s") }

    public var line: String {
        String(format: "held-out acc %.1f%%, tuned acc %.1f%%, sentences %.1f%%, val %.4f; e.g. %@",
               100 * heldOutAccuracy, 100 * tunedAccuracy, 100 * heldOutSentences, valLoss, example)
    }
}

public enum InstructReport {
    public static func write(_ records: [InstructArmRecord], to folder: String) throws {
        let text = markdown(records)
        try AtomicFile.write(Data(text.utf8), to: "\(folder)/results.md")
        let page = StudyPage.head(title: "Instruction tuning: SFT, LoRA, DPO, StableMax + ⊥AdamW") + StudyPage.html(markdown: text) + "</body></html>\n"
        try AtomicFile.write(Data(page.utf8), to: "\(folder)/report.html")
    }

    /// The mean of `value` over an arm's seeds (nil: the arm did not run).
    static func mean(_ records: [InstructArmRecord], _ arm: String, _ value: (InstructArmRecord) -> Double) -> Double? {
        let values = records.filter { $0.arm == arm }.map(value)
        return values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
    }

    static func percent(_ x: Double?) -> String { x.map { String(format: "%.1f%%", 100 * $0) } ?? "–" }

    public static func markdown(_ records: [InstructArmRecord]) -> String {
        var out = "# Instruction tuning at CPU scale: SFT, LoRA and DPO; softmax + AdamW against StableMax + ⊥AdamW\n\n"
        let questions = records.first?.heldOutQuestions ?? 0
        out += "Every reply is the model's greedy chat answer in ChatML, stopped at <|im_end|>. Held-out: \(questions) questions "
            + "about people the fine-tune never saw (their facts are only in the pretraining biographies); tuned: questions "
            + "about people in the SFT data. Correct = names the right value and no other (chance 10%). Sentences = the "
            + "share of held-out replies given as a sentence, the preference DPO trains for.\n\n"
        out += "| arm | seed | stage | trainable params | steps | val loss (own objective) | held-out acc | tuned acc | sentences | DPO reward acc | DPO margin | time |\n"
        out += "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n"
        for r in records {
            let rewardAccuracy = r.metrics.last("rewards/accuracies").map { String(format: "%.2f", $0) } ?? "–"
            let margin = r.metrics.last("rewards/margins").map { String(format: "%.2f", $0) } ?? "–"
            out += "| \(r.arm) | \(r.seed) | \(r.stage) | \(groupedThousands(r.trainableParameters)) | \(r.steps) | "
                + String(format: "%.4f", r.valLoss) + " | \(percent(r.heldOutAccuracy)) | \(percent(r.tunedAccuracy)) | "
                + "\(percent(r.heldOutSentences)) | \(rewardAccuracy) | \(margin) | "
                + (r.wallSeconds.map { String(format: "%.0f s", $0) } ?? "–") + " |\n"
        }
        let arms = records.map(\.arm).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        let seeds = Set(records.map(\.seed)).count
        out += "\n## Means over \(seeds) seed(s)\n\n| arm | what | held-out acc | tuned acc | sentences |\n| --- | --- | ---: | ---: | ---: |\n"
        for arm in arms {
            let summary = records.first { $0.arm == arm }?.summary ?? ""
            out += "| \(arm) | \(summary) | \(percent(mean(records, arm, \.heldOutAccuracy))) | "
                + "\(percent(mean(records, arm, \.tunedAccuracy))) | \(percent(mean(records, arm, \.heldOutSentences))) |\n"
        }
        out += "\n## Verdicts (computed from the means above)\n\n"
        for line in verdicts(records) { out += "- \(line)\n" }
        out += "\n## Examples (first held-out question)\n\n"
        for r in records { out += "- \(r.arm) seed \(r.seed): \(r.example)\n" }
        return out
    }

    /// The study's questions answered from the numbers; a comparison whose arms did not run is left out.
    static func verdicts(_ records: [InstructArmRecord]) -> [String] {
        var lines: [String] = []
        func acc(_ arm: String) -> Double? { mean(records, arm, \.heldOutAccuracy) }
        func sentences(_ arm: String) -> Double? { mean(records, arm, \.heldOutSentences) }
        /// "a vs b": the difference in points, called a difference only beyond `margin` points.
        func compare(_ a: String, _ b: String, margin: Double = 3) -> String? {
            guard let x = acc(a), let y = acc(b) else { return nil }
            let d = 100 * (x - y)
            let word = abs(d) < margin ? "about the same as" : (d > 0 ? "above" : "below")
            return "\(a) answers held-out people \(percent(x)), \(word) \(b) (\(percent(y)); \(String(format: "%+.1f", d)) points)"
        }
        if let base = acc("base") {
            lines.append("Before tuning, the base model answers \(percent(base)) of held-out questions in chat form (chance 10%)"
                + (acc("sft").map { "; full SFT brings it to \(percent($0))" } ?? "") + ".")
        }
        if let line = compare("sft-stablemax", "sft") { lines.append("StableMax + ⊥AdamW, full SFT: " + line + ".") }
        if let line = compare("sft-stablemax-adamw", "sft") { lines.append("StableMax alone (AdamW), full SFT: " + line + ".") }
        if let line = compare("sft-orth", "sft") { lines.append("⊥AdamW alone (softmax), full SFT: " + line + ".") }
        if let line = compare("lora-stablemax", "lora") { lines.append("StableMax + ⊥AdamW, LoRA: " + line + ".") }
        if let line = compare("lora", "sft") {
            let params = { (arm: String) in records.first { $0.arm == arm }?.trainableParameters ?? 0 }
            lines.append("LoRA against full SFT: " + line + ", training \(groupedThousands(params("lora"))) of \(groupedThousands(params("sft"))) parameters.")
        }
        if let before = sentences("sft"), let after = sentences("dpo") {
            let kept = (acc("dpo") ?? 0) - (acc("sft") ?? 0)
            lines.append("DPO moves sentence answers from \(percent(before)) (sft) to \(percent(after)) on held-out people; "
                + "accuracy \(String(format: "%+.1f", 100 * kept)) points.")
        }
        return lines
    }
}
