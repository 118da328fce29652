// MemoryReport.swift — the memory-bank study's table (results.md) and page (report.html): per arm and seed the
// object accuracy on facts seen in text and on facts only the bank holds, hit@k and hit@1 of the fact's row,
// parameters, MACs per token and tokens/s; knowledge editing's efficacy and specificity for the arms whose bank holds
// the facts; the means over seeds; the verdicts on the study's claim (B-fix ≥ 10× chance on bank-only facts while
// B-rand stays at chance), on what the faithful layer achieves, on the pointer readout (issue 21: an arm ≥ 10× chance
// on bank-only facts while the weights-only arm A stays at chance, or which part fails) and on editing; the loss curves.
import Foundation
import MnemoReport
import MnemoSupport

public struct MemoryArmRecord: StudyRunRecord, Sendable {
    public var arm: String
    public var summary: String
    public var seed: Int
    public var runDirectory: String
    public var parameters: Int
    public var macsPerToken: Int
    public var textAccuracy: Double, memoryAccuracy: Double
    public var textHitK: Double, memoryHitK: Double
    public var textHitOne: Double, memoryHitOne: Double
    /// k (0 without a bank).
    public var candidates: Int
    /// The bank's rows N (0 without a bank).
    public var bankRows: Int
    public var metrics: MetricsLog
    public var tokensPerStep: Int
    /// Knowledge editing (nil: the arm's bank does not hold the facts): the fraction of edited bank-only questions
    /// answered with the new object, the fraction of the other facts whose answer did not change, and how many rows.
    public var editEfficacy: Double?, editSpecificity: Double?
    public var edits: Int

    public init(arm: String, summary: String, seed: Int, runDirectory: String, parameters: Int, macsPerToken: Int,
                textAccuracy: Double, memoryAccuracy: Double, textHitK: Double, memoryHitK: Double, textHitOne: Double,
                memoryHitOne: Double, candidates: Int, bankRows: Int = 0, metrics: MetricsLog, tokensPerStep: Int,
                editEfficacy: Double? = nil, editSpecificity: Double? = nil, edits: Int = 0) {
        self.arm = arm
        self.summary = summary
        self.seed = seed
        self.runDirectory = runDirectory
        self.parameters = parameters
        self.macsPerToken = macsPerToken
        self.textAccuracy = textAccuracy
        self.memoryAccuracy = memoryAccuracy
        self.textHitK = textHitK
        self.memoryHitK = memoryHitK
        self.textHitOne = textHitOne
        self.memoryHitOne = memoryHitOne
        self.candidates = candidates
        self.bankRows = bankRows
        self.metrics = metrics
        self.tokensPerStep = tokensPerStep
        self.editEfficacy = editEfficacy
        self.editSpecificity = editSpecificity
        self.edits = edits
    }

    /// Training tokens per second over the whole run (evaluations excluded).
    public var tokensPerSecond: Double? {
        guard let last = metrics.series("elapsed_s").last, last.value > 0 else { return nil }
        return Double(last.step + 1) * Double(tokensPerStep) / last.value
    }

    public var line: String {
        String(format: "object accuracy: text facts %.1f%%, bank-only facts %.1f%%; hit@k %.1f%% / %.1f%%, hit@1 %.1f%% / %.1f%%",
               textAccuracy * 100, memoryAccuracy * 100, textHitK * 100, memoryHitK * 100, textHitOne * 100, memoryHitOne * 100)
    }
}

public enum MemoryReport {
    /// 1 / 100 objects.
    public static let chance = 0.01

    public static func write(_ records: [MemoryArmRecord], to folder: String) throws {
        try AtomicFile.write(Data(table(records).utf8), to: "\(folder)/results.md")
        try AtomicFile.write(Data(html(records).utf8), to: "\(folder)/report.html")
    }

    static func percent(_ v: Double) -> String { String(format: "%.1f%%", v * 100) }

    static func mean(_ records: [MemoryArmRecord], _ arm: String, _ value: (MemoryArmRecord) -> Double?) -> Double? {
        let values = records.filter { $0.arm == arm }.compactMap(value)
        return values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
    }

    public static func table(_ records: [MemoryArmRecord]) -> String {
        var out = "# Explicit memory bank: fact recall — results\n\n"
        out += "| arm | seed | parameters (non-emb.) | MACs/token | tok/s | accuracy: text facts | accuracy: bank-only facts | hit@k text / bank | hit@1 text / bank | edit efficacy | edit specificity |\n"
        out += "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n"
        for r in records {
            let hits = r.candidates > 0 ? "\(percent(r.textHitK)) / \(percent(r.memoryHitK))" : "—"
            let ones = r.candidates > 0 ? "\(percent(r.textHitOne)) / \(percent(r.memoryHitOne))" : "—"
            out += "| \(r.arm) | \(r.seed) | \(groupedThousands(r.parameters)) | \(groupedThousands(r.macsPerToken)) | "
                + "\(r.tokensPerSecond.map { String(format: "%.0f", $0) } ?? "—") | \(percent(r.textAccuracy)) | \(percent(r.memoryAccuracy)) | \(hits) | \(ones) | "
                + "\(r.editEfficacy.map(percent) ?? "—") | \(r.editSpecificity.map(percent) ?? "—") |\n"
        }
        var arms: [String] = []
        for r in records where !arms.contains(r.arm) { arms.append(r.arm) }
        out += "\n| arm (mean over seeds) | text facts | bank-only facts | × chance | hit@k bank-only | hit@1 bank-only | edit efficacy | edit specificity |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n"
        for arm in arms {
            let memory = mean(records, arm, { $0.memoryAccuracy }) ?? .nan
            out += "| \(arm) | \(percent(mean(records, arm, { $0.textAccuracy }) ?? .nan)) | \(percent(memory)) | "
                + String(format: "%.1f", memory / chance) + " | \(percent(mean(records, arm, { $0.memoryHitK }) ?? .nan)) | "
                + "\(percent(mean(records, arm, { $0.memoryHitOne }) ?? .nan)) | "
                + "\(mean(records, arm, { $0.editEfficacy }).map(percent) ?? "—") | \(mean(records, arm, { $0.editSpecificity }).map(percent) ?? "—") |\n"
        }
        out += "\nChance on an object: 1% (100 objects). hit@k: the fact's row is among a layer's k candidates at the question's "
            + "position (best layer); hit@1: it is the row the layer selects. Editing: the rows of \(records.map(\.edits).max() ?? 0) "
            + "bank-only facts get another object; efficacy = edited questions answered with the new object, specificity = "
            + "other facts (text and bank-only) whose answer did not change (— : no facts in the bank).\n"
        out += "\n## Verdicts\n\n" + verdicts(records).map { "- " + $0 }.joined(separator: "\n") + "\n"
        return out
    }

    public static func verdicts(_ records: [MemoryArmRecord]) -> [String] {
        var out: [String] = []
        func memory(_ arm: String) -> Double? { mean(records, arm, { $0.memoryAccuracy }) }
        if let fix = memory("B-fix"), let random = memory("B-rand") {
            let holds = fix >= 10 * chance && random < 3 * chance
            out.append(String(format: "The claim (B-fix answers bank-only facts at ≥ 10× chance while B-rand stays at chance): B-fix %@ (%.1f× chance), B-rand %@ (%.1f× chance) — %@.",
                              percent(fix), fix / chance, percent(random), random / chance, holds ? "shown" : "refuted"))
        }
        if let faithful = memory("B") {
            let hitK = mean(records, "B", { $0.memoryHitK }) ?? .nan
            out.append(String(format: "The faithful ExplicitLM layer: bank-only facts %@ (%.1f× chance); the fact's row is among its candidates for %@ of questions (untrained keys: about k/N by chance) — %@.",
                              percent(faithful), faithful / chance, percent(hitK), faithful >= 10 * chance ? "it remembers" : "it does not use the bank"))
        }
        if let exact = memory("B-exact") {
            out.append(String(format: "Exact top-k retrieval, chosen without gradient (B-exact): bank-only facts %@ (%.1f× chance); the fact's row is among the candidates for %@ of bank-only and %@ of text questions.",
                              percent(exact), exact / chance, percent(mean(records, "B-exact", { $0.memoryHitK }) ?? .nan),
                              percent(mean(records, "B-exact", { $0.textHitK }) ?? .nan)))
        }
        if let keys = memory("B-keys") {
            out.append(String(format: "Trained product keys (B-keys): bank-only facts %@ (%.1f× chance); the fact's row is among the candidates for %@ of bank-only and %@ of text questions.",
                              percent(keys), keys / chance, percent(mean(records, "B-keys", { $0.memoryHitK }) ?? .nan),
                              percent(mean(records, "B-keys", { $0.textHitK }) ?? .nan)))
        }
        if let sup = memory("B-sup"), let random = memory("B-rand") {
            let holds = sup >= 10 * chance && random < 3 * chance
            out.append(String(format: "Supervised retrieval (B-sup, labels from text facts only): bank-only facts %@ (%.1f× chance) against B-rand %@; the fact's row is its top-1 for %@ of bank-only and %@ of text questions — the claim with this layer is %@.",
                              percent(sup), sup / chance, percent(random), percent(mean(records, "B-sup", { $0.memoryHitOne }) ?? .nan),
                              percent(mean(records, "B-sup", { $0.textHitOne }) ?? .nan), holds ? "shown" : "refuted"))
            if let found = mean(records, "B-sup", { $0.memoryHitOne }), found >= 0.5, sup < 3 * chance {
                out.append(String(format: "So retrieval is not what fails: B-sup selects the right never-trained row for %@ of bank-only questions, yet answers %@ of them — the readout (the mean of the row's token embeddings through the gated fusion) learned on the rows it was trained on does not turn a new row into its object.",
                                  percent(found), percent(sup)))
            }
        }
        if let dense = mean(records, "B-fix", { $0.textHitK }), let fix = records.first(where: { $0.arm == "B-fix" }) {
            let k = fix.candidates, n = fix.bankRows
            let chanceHit = n > 0 ? " (\(percent(Double(k) / Double(n))) by chance for \(k) of \(groupedThousands(n)) rows)" : ""
            out.append(String(format: "B-fix's fact row is among its top-%d rows for %@ of text questions%@: %@.",
                              k, percent(dense), chanceHit,
                              dense < 0.1 ? "without supervision retrieval rarely finds even the facts it was trained on; the text facts live in the weights"
                                          : "retrieval finds facts it was trained on"))
        }
        out += pointerVerdicts(records)
        if let a = mean(records, "A", { $0.textAccuracy }) {
            let others = ["B-fix", "B-sup"].compactMap { arm in mean(records, arm, { $0.textAccuracy }).map { "\(arm) \(percent($0))" } }
            out.append("Facts seen in text: A \(percent(a))" + others.map { ", " + $0 }.joined()
                       + " (parameters matched per layer; MACs and tokens/s in the table).")
        }
        return out
    }

    /// The pointer arms that ran, by name.
    static let pointerArms = ["B-ptr", "B-ptr-sup", "B-ptr-exact"]

    /// Issue 21's verdicts: the best pointer arm on bank-only facts against A (weights only), what still fails when
    /// the claim does not hold, and knowledge editing's efficacy and specificity.
    static func pointerVerdicts(_ records: [MemoryArmRecord]) -> [String] {
        var out: [String] = []
        func memory(_ arm: String) -> Double? { mean(records, arm, { $0.memoryAccuracy }) }
        let pointers = pointerArms.compactMap { arm in memory(arm).map { (arm, $0) } }
        if let best = pointers.max(by: { $0.1 < $1.1 }), let a = memory("A") {
            let holds = best.1 >= 10 * chance && a < 3 * chance
            let hitK = mean(records, best.0, { $0.memoryHitK }) ?? .nan, hitOne = mean(records, best.0, { $0.memoryHitOne }) ?? .nan
            var line = String(format: "The pointer readout's claim (an arm answers bank-only facts at ≥ 10× chance while A, weights only, stays at chance): best pointer arm %@ %@ (%.1f× chance), A %@ (%.1f× chance) — %@.",
                              best.0, percent(best.1), best.1 / chance, percent(a), a / chance, holds ? "shown" : "refuted")
            if !holds {
                if a >= 3 * chance {
                    line += " A is above chance on facts it never saw, so the task leaks."
                } else if hitK < 0.5 {
                    line += String(format: " What fails is retrieval: the fact's row is among %@'s k rows for only %@ of bank-only questions (top-1 %@).",
                                   best.0, percent(hitK), percent(hitOne))
                } else {
                    line += String(format: " Retrieval is not what fails (the fact's row is among %@'s k rows for %@ of bank-only questions, top-1 %@): the gate or the rows' weights leave the copy too little mass.",
                                   best.0, percent(hitK), percent(hitOne))
                }
            }
            out.append(line)
            for (arm, value) in pointers where arm != best.0 {
                out.append(String(format: "%@: bank-only facts %@ (%.1f× chance), hit@k %@, hit@1 %@, text facts %@.", arm, percent(value), value / chance,
                                  percent(mean(records, arm, { $0.memoryHitK }) ?? .nan), percent(mean(records, arm, { $0.memoryHitOne }) ?? .nan),
                                  percent(mean(records, arm, { $0.textAccuracy }) ?? .nan)))
            }
        }
        var arms: [String] = []
        for r in records where r.editEfficacy != nil && !arms.contains(r.arm) { arms.append(r.arm) }
        let edited = arms.compactMap { arm in
            mean(records, arm, { $0.editEfficacy }).map { (arm, $0, mean(records, arm, { $0.editSpecificity }) ?? .nan) }
        }
        if let best = edited.max(by: { $0.1 < $1.1 }) {
            let n = records.map(\.edits).max() ?? 0
            let works = best.1 >= 0.5 && best.2 >= 0.9
            var line = String(format: "Knowledge editing (%d bank-only rows rewritten with another object): best efficacy %@ with %@ specificity (%@) — %@.",
                              n, percent(best.1), percent(best.2), best.0,
                              works ? "the answers follow the edited rows and the other facts stay" : "edits do not reliably reach the answers")
            let others = edited.filter { $0.0 != best.0 }.map { "\($0.0) \(percent($0.1)) / \(percent($0.2))" }
            if !others.isEmpty { line += " Others (efficacy / specificity): " + others.joined(separator: ", ") + "." }
            out.append(line)
        }
        return out
    }

    public static func html(_ records: [MemoryArmRecord], generated: Date = Date()) -> String {
        var out = StudyPage.head(title: "Explicit memory bank: fact recall")
        out += StudyPage.runsAndArms(records.map { ($0.arm, $0.summary) }, generated: generated)
        out += StudyPage.html(markdown: table(records))
        let series = records.enumerated().map { i, r in
            PlotSeries(name: "\(r.arm) s\(r.seed)", points: r.metrics.series("train_loss").map { PlotPoint(x: Double($0.step), y: $0.value) },
                       colorIndex: i)
        }
        var plot = SVGPlot(title: "Training loss", yLabel: "train loss", series: series, id: "memory-1")
        plot.yCap = Report.lossCap(series)
        out += "<figure>" + plot.svg() + "</figure>\n</body></html>\n"
        return out
    }
}
