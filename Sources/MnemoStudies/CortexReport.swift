// CortexReport.swift — the CortexGPT study's table (results.md) and page (report.html): per arm and seed the windowed
// oscillation ratio's p95 on the fixed held-out batch and on the raw batch loss, its max, the rebound, spikes, the
// full-pass val loss, tokens/s, gate mass on STM and LTM and the LTM's fill; the means over seeds; the learning-rate
// sweep; the verdicts on the document's claims computed from those numbers; the fixed-batch loss curves.
import Foundation
import MnemoReport
import MnemoSupport

public struct CortexArmRecord: StudyRunRecord, Sendable {
    public var arm: String
    public var summary: String
    public var seed: Int
    /// The learning rate as a multiple of the preset's (1 for the arms, 3/10/30 in the sweep).
    public var learningRateFactor: Double
    public var runDirectory: String
    public var parameters: Int
    public var valLossFull: Double
    public var metrics: MetricsLog
    public var tokensPerStep: Int
    /// The full-pass val loss of the same weights with the STM / the LTM knocked out (retrieving zeros); nil: no memory.
    public var valWithoutShortTerm: Double? = nil
    public var valWithoutLongTerm: Double? = nil

    public init(arm: String, summary: String, seed: Int, learningRateFactor: Double, runDirectory: String, parameters: Int,
                valLossFull: Double, metrics: MetricsLog, tokensPerStep: Int) {
        self.arm = arm
        self.summary = summary
        self.seed = seed
        self.learningRateFactor = learningRateFactor
        self.runDirectory = runDirectory
        self.parameters = parameters
        self.valLossFull = valLossFull
        self.metrics = metrics
        self.tokensPerStep = tokensPerStep
    }

    /// The last evaluation's value of a stability metric.
    public func stability(_ key: String) -> Double? { metrics.last(key) }
    /// The mean of a training metric over its last 10 logged values (gate mass, fill).
    public func recent(_ key: String) -> Double? {
        let values = metrics.series(key).suffix(10).map(\.value)
        return values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
    }
    public var tokensPerSecond: Double? {
        guard let last = metrics.series("elapsed_s").last, last.value > 0 else { return nil }
        return Double(last.step + 1) * Double(tokensPerStep) / last.value
    }
    public var diverged: Bool { !valLossFull.isFinite }

    public var line: String {
        String(format: "R p95 fixed %.3f, batch %.3f; spikes %.0f; val %.4f (full pass); gate STM %.3f LTM %.3f; LTM fill %.3f",
               stability("osc_fixed_p95") ?? .nan, stability("osc_raw_p95") ?? .nan, stability("spikes") ?? .nan, valLossFull,
               recent("gate_mass/stm") ?? .nan, recent("gate_mass/ltm") ?? .nan, recent("ltm_fill") ?? .nan)
    }
}

public enum CortexReport {
    public static func write(_ records: [CortexArmRecord], to folder: String) throws {
        try AtomicFile.write(Data(markdown(records).utf8), to: "\(folder)/results.md")
        try AtomicFile.write(Data(html(records).utf8), to: "\(folder)/report.html")
    }

    static func f(_ v: Double?, _ digits: Int = 3) -> String {
        guard let v, v.isFinite else { return "—" }
        return String(format: "%.\(digits)f", v)
    }

    /// Mean over the seeds of an arm (learning-rate factor 1), and the spread (max − min; nil with fewer than 2 seeds).
    static func summary(_ records: [CortexArmRecord], _ arm: String, _ value: (CortexArmRecord) -> Double?) -> (mean: Double?, spread: Double?) {
        let values = records.filter { $0.arm == arm && $0.learningRateFactor == 1 }.compactMap(value).filter(\.isFinite)
        guard !values.isEmpty else { return (nil, nil) }
        return (values.reduce(0, +) / Double(values.count), values.count < 2 ? nil : values.max()! - values.min()!)
    }

    /// "1.052 for A, 1.061 for C": the arms that have a value, in order.
    static func perArm(_ values: [(arm: String, value: Double?)], _ format: String = "%.3f") -> String {
        values.compactMap { item in item.value.map { String(format: format, $0) + " for \(item.arm)" } }.joined(separator: ", ")
    }

    public static func markdown(_ records: [CortexArmRecord]) -> String {
        let main = records.filter { $0.learningRateFactor == 1 }
        let arms = main.reduce(into: [String]()) { if !$0.contains($1.arm) { $0.append($1.arm) } }
        var out = "# CortexGPT stability study\n\n"
        out += "R = max/min of the loss over windows of stability_window optimizer steps after warm-up (OscillationStatistics); "
            + "fixed = one held-out batch evaluated every stability_interval steps, batch = each step's training batch. "
            + "Val loss: a full pass over val after training (EMA weights where the arm keeps them). "
            + "Gate mass and LTM fill: means of the last 10 logged training steps.\n\n"
        out += "## Means over seeds\n\n"
        out += "| arm | seeds | params | R p95 fixed | R max fixed | R p95 batch | rebound fixed | spikes | val loss | ± (max − min) | tok/s | gate STM | gate LTM | LTM fill | Δ val without STM | Δ val without LTM |\n"
        out += "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n"
        for arm in arms {
            let rows = main.filter { $0.arm == arm }
            func m(_ v: (CortexArmRecord) -> Double?) -> Double? { summary(records, arm, v).mean }
            let val = summary(records, arm) { $0.valLossFull }
            out += "| \(arm) | \(rows.count) | \(groupedThousands(rows[0].parameters)) | \(f(m { $0.stability("osc_fixed_p95") })) "
                + "| \(f(m { $0.stability("osc_fixed_max") })) | \(f(m { $0.stability("osc_raw_p95") })) "
                + "| \(f(m { $0.stability("rebound_fixed") }, 4)) | \(f(rows.compactMap { $0.stability("spikes") }.reduce(0, +), 0)) "
                + "| \(f(val.mean, 4)) | \(f(val.spread, 4)) | \(f(m { $0.tokensPerSecond }, 0)) "
                + "| \(f(m { $0.recent("gate_mass/stm") })) | \(f(m { $0.recent("gate_mass/ltm") })) | \(f(m { $0.recent("ltm_fill") })) "
                + "| \(f(m { r in r.valWithoutShortTerm.map { $0 - r.valLossFull } }, 4)) | \(f(m { r in r.valWithoutLongTerm.map { $0 - r.valLossFull } }, 4)) |\n"
        }
        out += "\nΔ val without STM / LTM: the full-pass val loss of the same weights with that memory knocked out (it retrieves zeros, as an empty memory) minus the val loss with it — what the memory contributes to prediction, which gate mass alone does not show.\n"
        out += "\n## Every run\n\n"
        out += "| arm | seed | lr × | R p50 fixed | R p95 fixed | R max fixed | R p95 batch | R max batch | spikes | val loss | tok/s | gate STM | gate LTM | LTM fill | run |\n"
        out += "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n"
        for r in records {
            out += "| \(r.arm) | \(r.seed) | \(f(r.learningRateFactor, 0)) | \(f(r.stability("osc_fixed_p50"))) | \(f(r.stability("osc_fixed_p95"))) "
                + "| \(f(r.stability("osc_fixed_max"))) | \(f(r.stability("osc_raw_p95"))) | \(f(r.stability("osc_raw_max"))) "
                + "| \(f(r.stability("spikes"), 0)) | \(r.diverged ? "diverged" : f(r.valLossFull, 4)) | \(f(r.tokensPerSecond, 0)) "
                + "| \(f(r.recent("gate_mass/stm"))) | \(f(r.recent("gate_mass/ltm"))) | \(f(r.recent("ltm_fill"))) | \(r.runDirectory) |\n"
        }
        out += "\n## Verdicts\n\n"
        for line in verdicts(records) { out += "- \(line)\n" }
        return out
    }

    /// The document's claims judged from the numbers.
    public static func verdicts(_ records: [CortexArmRecord]) -> [String] {
        var out: [String] = []
        func p95(_ arm: String, _ key: String = "osc_fixed_p95") -> Double? { summary(records, arm) { $0.stability(key) }.mean }
        let baselines = [("A", p95("A")), ("B", p95("B"))].filter { $0.1 != nil }
        if let c = p95("C"), let baseline = baselines.compactMap(\.1).max() {
            if baseline >= 4 {
                out.append(String(format: "Claim R p95 < 1.2 where the baseline shows ≥ 4: the baseline oscillates (R p95 %.2f) and C's R p95 is %.3f — %@.",
                                  baseline, c, c < 1.2 ? "holds" : "does not hold"))
            } else {
                let raw = perArm([("A", p95("A", "osc_raw_p95")), ("C", p95("C", "osc_raw_p95"))])
                out.append("No arm oscillates 4–5× at this scale: R p95 on the fixed batch is " + perArm(baselines + [("C", c)])
                           + (raw.isEmpty ? "" : " (on the raw batch loss \(raw), the batches' own noise included)")
                           + "; the document's premise (a baseline at ≥ 4) is not reproduced, so its claim cannot be confirmed — "
                           + "C's fixed-batch R p95 \(c < 1.2 ? "is below" : "is not below") 1.2.")
            }
        }
        if let stm = summary(records, "C", { $0.recent("gate_mass/stm") }).mean, let ltm = summary(records, "C", { $0.recent("gate_mass/ltm") }).mean {
            let fill = summary(records, "C") { $0.recent("ltm_fill") }.mean ?? 0
            let usesSTM = stm > 0.05, usesLTM = ltm > 0.05 && fill > 0
            let verdict = usesSTM && usesLTM ? "both" : (usesSTM ? "only the STM" : (usesLTM ? "only the LTM" : "neither"))
            out.append(String(format: "Memories used by C (a memory counts as used with more than 5%% of the gate mass, the LTM only once it holds something): gate mass %.1f%% on the STM and %.1f%% on the LTM, LTM %.1f%% full — %@.",
                              stm * 100, ltm * 100, fill * 100, verdict))
            if let noSTM = summary(records, "C", { r in r.valWithoutShortTerm.map { $0 - r.valLossFull } }).mean,
               let noLTM = summary(records, "C", { r in r.valWithoutLongTerm.map { $0 - r.valLossFull } }).mean {
                let small = Swift.max(noSTM, noLTM) < 0.02
                out.append(String(format: "What the memories contribute (paired: the same weights, one memory retrieving zeros at evaluation): val changes by %+.4f without the STM and %+.4f without the LTM — %@.",
                                  noSTM, noLTM, small ? "under 0.02 nats each, small next to the gate mass they receive: C's predictions hardly depend on them"
                                                      : "the model depends on them"))
            }
        }
        let c = summary(records, "C") { $0.valLossFull }, d = summary(records, "D") { $0.valLossFull }
        if let cv = c.mean, let dv = d.mean {
            let head = String(format: "Val loss, C against the plain transformer D of about its size: %.4f vs %.4f (Δ %+.4f", cv, dv, cv - dv)
            if let cs = c.spread, let ds = d.spread {
                let noise = Swift.max(cs, ds)
                let verdict = abs(cv - dv) <= noise ? "no difference beyond the seeds' spread" : (cv < dv ? "the memory model is better" : "the memory model is worse")
                out.append(head + String(format: ", seed spread up to %.4f): %@.", noise, verdict))
            } else {
                out.append(head + "): C or D has fewer than 2 seeds, so there is no seed spread to judge the difference by; run 2 or more for a verdict.")
            }
        }
        if let b = summary(records, "B", { $0.valLossFull }).mean, let cv = c.mean {
            out.append(String(format: "C against upstream's unified model B: val %.4f vs %.4f (B is evaluated with its non-causal top-k over the batch).", cv, b))
        }
        // ablations
        if let cv = c.mean, let cr = p95("C") {
            var parts: [String] = []
            for arm in ["C-gate", "C-sparsity", "C-consolidation", "C-norm", "C-loss", "C-groups", "C-ema", "C-bounded"] {
                guard let v = summary(records, arm, { $0.valLossFull }).mean, let r = p95(arm) else { continue }
                parts.append(String(format: "%@: val %+.4f, R p95 fixed %+.3f", String(arm.dropFirst(2)), v - cv, r - cr))
            }
            if !parts.isEmpty { out.append("Removing one fix from C (change against C): " + parts.joined(separator: "; ") + ".") }
        }
        // the sweep
        for arm in ["A", "C"] {
            let sweep = records.filter { $0.arm == arm && $0.learningRateFactor != 1 }.sorted { $0.learningRateFactor < $1.learningRateFactor }
            guard !sweep.isEmpty else { continue }
            let first = sweep.first { ($0.stability("spikes") ?? 0) > 0 || ($0.stability("osc_fixed_p95") ?? 0) >= 4 || $0.diverged }
            let rows = sweep.map { r in
                String(format: "×%@: R p95 fixed %@, spikes %@%@", r.learningRateFactor.formattedFactor, f(r.stability("osc_fixed_p95")),
                       f(r.stability("spikes"), 0), r.diverged ? ", diverged" : "")
            }
            out.append("\(arm) at higher learning rates (" + rows.joined(separator: "; ") + "): "
                       + (first.map { "spikes or R ≥ 4 from ×\($0.learningRateFactor.formattedFactor) on" } ?? "no spike and R < 4 up to ×\(sweep.last!.learningRateFactor.formattedFactor)") + ".")
        }
        return out
    }

    public static func html(_ records: [CortexArmRecord], generated: Date = Date()) -> String {
        var out = StudyPage.head(title: "CortexGPT stability study")
        out += StudyPage.runsAndArms(records.map { ($0.arm, $0.summary) }, generated: generated)
        out += StudyPage.html(markdown: markdown(records))
        var charts = 0
        for (title, key) in [("Fixed held-out batch loss", "stability_loss"), ("Training batch loss", "train_loss")] {
            let firstSeed = records.map(\.seed).min()
            let series = records.filter { $0.seed == firstSeed }.enumerated().map { i, r in
                PlotSeries(name: r.learningRateFactor == 1 ? r.arm : "\(r.arm) lr×\(r.learningRateFactor.formattedFactor)",
                           points: r.metrics.series(key).map { PlotPoint(x: Double($0.step), y: $0.value) }, colorIndex: i)
            }
            charts += 1
            var plot = SVGPlot(title: title + " (first seed)", yLabel: key, series: series, id: "cortex-\(charts)")
            plot.yCap = Report.lossCap(series)
            out += "<figure>" + plot.svg() + "</figure>\n"
        }
        return out + "</body></html>\n"
    }
}

extension Double {
    /// 3 → "3", 0.5 → "0.5" (learning-rate factors in names and tables).
    public var formattedFactor: String { self == rounded() ? String(Int(self)) : String(self) }
}
