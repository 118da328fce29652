// CortexRecallReport.swift — the CortexGPT recall study's table (results.md) and page (report.html): per arm and seed the
// exact-answer accuracy at near queries (the fact within the STM's reach, in the previous chunk) and far queries (beyond
// it), with each memory knocked out, the val loss and the loss at the queries, parameters, throughput and the gate's
// use of each memory; the means over seeds; verdicts computed from those numbers (does the task need memory, does the
// STM / the LTM carry the facts, what the memory costs); the training loss curves.
import Foundation
import MnemoReport
import MnemoSupport

public struct CortexRecallRecord: StudyRunRecord, Sendable {
    public var arm: String
    public var summary: String
    public var seed: Int
    public var runDirectory: String
    /// Non-embedding parameters (as the cortex study counts them) and all of them.
    public var parameters: Int
    public var allParameters: Int
    public var metrics: MetricsLog
    public var tokensPerStep: Int
    /// The STM's reach (cortex_stm_slots): a query is near when its fact's value token is at most this far before it.
    public var window: Int
    /// 1 / the number of values.
    public var chance: Double
    /// The val pass with both memories, and (memory arms) with each knocked out.
    public var scores: [RecallKnockout: RecallScore] = [:]

    public init(arm: String, summary: String, seed: Int, runDirectory: String, parameters: Int, allParameters: Int,
                metrics: MetricsLog, tokensPerStep: Int, window: Int, chance: Double) {
        self.arm = arm
        self.summary = summary
        self.seed = seed
        self.runDirectory = runDirectory
        self.parameters = parameters
        self.allParameters = allParameters
        self.metrics = metrics
        self.tokensPerStep = tokensPerStep
        self.window = window
        self.chance = chance
    }

    public func near(_ k: RecallKnockout = .none) -> Double? { scores[k]?.nearAccuracy }
    public func far(_ k: RecallKnockout = .none) -> Double? { scores[k]?.farAccuracy }
    public var valLoss: Double? { scores[.none]?.loss }
    public func queryLoss(_ k: RecallKnockout = .none) -> Double? { scores[k]?.queryLoss }
    /// Training throughput: the median of the logged tok_per_s (evaluation excluded).
    public var tokensPerSecond: Double? {
        let values = metrics.series("tok_per_s").map(\.value).filter { $0.isFinite && $0 > 0 }.sorted()
        return values.isEmpty ? nil : values[values.count / 2]
    }
    public var millisecondsPerStep: Double? { tokensPerSecond.map { 1000 * Double(tokensPerStep) / $0 } }
    /// The mean of a training metric over its last 10 logged values (gate mass, fill).
    public func recent(_ key: String) -> Double? {
        let values = metrics.series(key).suffix(10).map(\.value)
        return values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
    }

    public var line: String {
        func p(_ v: Double?) -> String { v.map { String(format: "%.1f%%", 100 * $0) } ?? "—" }
        var text = "near \(p(near())), far \(p(far()))"
        if scores[.noSTM] != nil { text += "; no STM: near \(p(near(.noSTM))); no LTM: far \(p(far(.noLTM))), near \(p(near(.noLTM)))" }
        return text + String(format: "; val %.4f (chance %.1f%%)", valLoss ?? .nan, 100 * chance)
    }
}

public enum CortexRecallReport {
    public static func write(_ records: [CortexRecallRecord], to folder: String) throws {
        try AtomicFile.write(Data(markdown(records).utf8), to: "\(folder)/results.md")
        try AtomicFile.write(Data(html(records).utf8), to: "\(folder)/report.html")
    }

    /// A number with `digits` decimals, "—" when missing (the cortex study page's formatter).
    static func f(_ v: Double?, _ digits: Int = 3) -> String { CortexReport.f(v, digits) }

    static func pct(_ v: Double?) -> String {
        guard let v, v.isFinite else { return "—" }
        return String(format: "%.1f %%", 100 * v)
    }

    /// Mean over an arm's seeds, and the spread (max − min; nil with fewer than 2 seeds).
    static func summary(_ records: [CortexRecallRecord], _ arm: String, _ value: (CortexRecallRecord) -> Double?) -> (mean: Double?, spread: Double?) {
        let values = records.filter { $0.arm == arm }.compactMap(value).filter(\.isFinite)
        guard !values.isEmpty else { return (nil, nil) }
        return (values.reduce(0, +) / Double(values.count), values.count < 2 ? nil : values.max()! - values.min()!)
    }

    static func arms(_ records: [CortexRecallRecord]) -> [String] {
        records.reduce(into: [String]()) { if !$0.contains($1.arm) { $0.append($1.arm) } }
    }

    public static func markdown(_ records: [CortexRecallRecord]) -> String {
        var out = "# CortexGPT on associative recall\n\n"
        if let r = records.first {
            out += "Facts `= k v ;` are stated at the end of one chunk (block_size tokens, one training window) and asked `k ? v ;` at the start of the next "
                + "(near: the fact's value token at most \(r.window) positions — the STM's slots — before the query's `?`) or of the chunk after it (far: beyond that); "
                + "streams are fed in order with cortex_stm_carry on, so a fact is never in its query's window. "
                + "Accuracy: the argmax over the whole vocabulary is the value, at every query of one pass over the val streams (\(r.scores[.none].map { "\($0.near) near and \($0.far) far queries" } ?? "—")); "
                + "chance \(pct(r.chance)). Knocked out: that memory retrieves zeros at evaluation (the same weights). "
                + "During the pass the LTM consolidates once per chunk, as once per optimizer step in training. "
                + "Tokens/s: the median logged training throughput; ms/step = tokens per step / tokens/s (a shared machine: compare within one study only).\n\n"
        }
        out += "## Means over seeds\n\n"
        out += "| arm | seeds | params | all params | near | near no STM | near no LTM | near neither | far | far no STM | far no LTM | far neither | val loss | query loss | query loss no STM | tok/s | ms/step | gate STM | gate LTM | LTM fill |\n"
        out += "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n"
        for arm in arms(records) {
            let rows = records.filter { $0.arm == arm }
            func m(_ v: (CortexRecallRecord) -> Double?) -> Double? { summary(records, arm, v).mean }
            out += "| \(arm) | \(rows.count) | \(groupedThousands(rows[0].parameters)) | \(groupedThousands(rows[0].allParameters)) "
                + "| \(pct(m { $0.near() })) | \(pct(m { $0.near(.noSTM) })) | \(pct(m { $0.near(.noLTM) })) | \(pct(m { $0.near(.neither) })) "
                + "| \(pct(m { $0.far() })) | \(pct(m { $0.far(.noSTM) })) | \(pct(m { $0.far(.noLTM) })) | \(pct(m { $0.far(.neither) })) "
                + "| \(f(m { $0.valLoss }, 4)) | \(f(m { $0.queryLoss() }, 3)) | \(f(m { $0.queryLoss(.noSTM) }, 3)) "
                + "| \(f(m { $0.tokensPerSecond }, 0)) | \(f(m { $0.millisecondsPerStep }, 1)) "
                + "| \(f(m { $0.recent("gate_mass/stm") })) | \(f(m { $0.recent("gate_mass/ltm") })) | \(f(m { $0.recent("ltm_fill") })) |\n"
        }
        out += "\n## Every run\n\n"
        out += "| arm | seed | near | near no STM | near no LTM | near neither | far | far no LTM | val loss | query loss | tok/s | ms/step | run |\n"
        out += "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n"
        for r in records {
            out += "| \(r.arm) | \(r.seed) | \(pct(r.near())) | \(pct(r.near(.noSTM))) | \(pct(r.near(.noLTM))) | \(pct(r.near(.neither))) "
                + "| \(pct(r.far())) | \(pct(r.far(.noLTM))) | \(f(r.valLoss, 4)) | \(f(r.queryLoss(), 3)) "
                + "| \(f(r.tokensPerSecond, 0)) | \(f(r.millisecondsPerStep, 1)) | \(r.runDirectory) |\n"
        }
        out += "\n## Verdicts\n\n"
        for line in verdicts(records) { out += "- \(line)\n" }
        return out
    }

    /// Three standard errors of an accuracy measured on `n` queries when the truth is chance: a difference larger than
    /// this is not the noise of a finite val pass.
    static func margin(chance: Double, queries n: Int) -> Double {
        3 * (chance * (1 - chance) / Double(Swift.max(n, 1))).squareRoot()
    }

    /// What the numbers say: whether the task needs memory (D), whether each memory of A and C carries the facts (its
    /// knock-out's accuracy drop against the noise of the pass, and the accuracy against chance), and the cost.
    public static func verdicts(_ records: [CortexRecallRecord]) -> [String] {
        guard let first = records.first else { return [] }
        var out: [String] = []
        let chance = first.chance
        let nearN = records.compactMap { $0.scores[.none]?.near }.min() ?? 0
        let farN = records.compactMap { $0.scores[.none]?.far }.min() ?? 0
        let nearMargin = margin(chance: chance, queries: nearN), farMargin = margin(chance: chance, queries: farN)
        func mean(_ arm: String, _ v: (CortexRecallRecord) -> Double?) -> Double? { summary(records, arm, v).mean }
        func p(_ v: Double) -> String { String(format: "%.1f %%", 100 * v) }
        out.append("Noise: at chance (\(p(chance))) an accuracy over one val pass has 3 standard errors of \(p(nearMargin)) on the \(nearN) near and \(p(farMargin)) on the \(farN) far queries; differences below that are not counted.")
        // does the task need memory?
        if let near = mean("D", { $0.near() }), let far = mean("D", { $0.far() }) {
            let leaks = near - chance > nearMargin || far - chance > farMargin
            out.append("The task needs memory: the plain transformer D, which reads one chunk, answers \(p(near)) of near and \(p(far)) of far queries (chance \(p(chance))) — "
                       + (leaks ? "above chance: something in the window gives answers away, so the task does not isolate memory."
                                : "chance: the answer is not in the query's window."))
        }
        // does each memory carry the facts?
        for arm in ["A", "C"] {
            guard let near = mean(arm, { $0.near() }), let noSTM = mean(arm, { $0.near(.noSTM) }) else { continue }
            let drop = near - noSTM
            let carries = near - chance > nearMargin && drop > nearMargin
            let gate = mean(arm) { $0.recent("gate_mass/stm") }
            out.append("STM of \(arm): near queries \(p(near)) with it, \(p(noSTM)) with it knocked out (chance \(p(chance)); drop \(String(format: "%+.1f", -100 * drop)) points"
                       + (gate.map { String(format: ", gate mass on the STM %.1f %%", 100 * $0) } ?? "") + ") — "
                       + (carries ? "the STM carries the facts across chunks, and the answers depend on it."
                                  : (near - chance > nearMargin ? "the model answers above chance but not through the STM."
                                                                : "it does not carry them: the answers stay at chance.")))
            if let far = mean(arm, { $0.far() }), let farNoLTM = mean(arm, { $0.far(.noLTM) }), let nearNoLTM = mean(arm, { $0.near(.noLTM) }) {
                let ltmCarries = far - chance > farMargin && far - farNoLTM > farMargin
                let nearLTM = near - nearNoLTM > nearMargin
                let fill = mean(arm) { $0.recent("ltm_fill") }, gateLTM = mean(arm) { $0.recent("gate_mass/ltm") }
                out.append("LTM of \(arm): far queries (beyond the STM) \(p(far)) with it, \(p(farNoLTM)) with it knocked out; near queries \(p(nearNoLTM)) without it"
                           + (gateLTM.map { String(format: " (gate mass on the LTM %.1f %%", 100 * $0) + (fill.map { String(format: ", %.0f %% full)", 100 * $0) } ?? ")") } ?? "") + " — "
                           + (ltmCarries ? "the LTM carries facts beyond the STM's reach."
                                         : "the LTM does not carry the facts" + (nearLTM ? ", though near answers lean on it." : " (far answers stay at chance).")))
            }
        }
        // A against C
        let a = summary(records, "A") { $0.near() }, c = summary(records, "C") { $0.near() }
        if let am = a.mean, let cm = c.mean {
            let noise = Swift.max(a.spread ?? 0, c.spread ?? 0, nearMargin)
            out.append("Near-query accuracy, C (the document's toolkit) against A (legacy-like): \(p(cm)) vs \(p(am)) — "
                       + (abs(cm - am) <= noise ? String(format: "no difference beyond the seeds' spread and the pass's noise (%.1f points).", 100 * noise)
                                                : (cm > am ? "C recalls better." : "A recalls better.")))
        }
        // cost
        if let d = records.first(where: { $0.arm == "D" }) {
            for arm in ["A", "C"] {
                guard let r = records.first(where: { $0.arm == arm }) else { continue }
                let speed = mean(arm) { $0.tokensPerSecond }, dSpeed = mean("D") { $0.tokensPerSecond }
                let ms = mean(arm) { $0.millisecondsPerStep }, dMs = mean("D") { $0.millisecondsPerStep }
                var line = "Cost of \(arm)'s memory layer against D: \(groupedThousands(r.parameters)) vs \(groupedThousands(d.parameters)) non-embedding parameters "
                    + String(format: "(%+.1f %%)", 100 * (Double(r.parameters) / Double(d.parameters) - 1))
                if let speed, let dSpeed, let ms, let dMs {
                    line += String(format: "; %.0f vs %.0f tokens/s, %.1f vs %.1f ms/step (×%.2f the time; one shared machine, not a benchmark)", speed, dSpeed, ms, dMs, ms / dMs)
                }
                if let vl = mean(arm, { $0.valLoss }), let dvl = mean("D", { $0.valLoss }), let ql = mean(arm, { $0.queryLoss() }), let dql = mean("D", { $0.queryLoss() }) {
                    line += String(format: "; val loss %.4f vs %.4f, at the queries %.3f vs %.3f", vl, dvl, ql, dql)
                }
                out.append(line + ".")
            }
        }
        return out
    }

    public static func html(_ records: [CortexRecallRecord], generated: Date = Date()) -> String {
        var out = StudyPage.head(title: "CortexGPT on associative recall")
        out += StudyPage.runsAndArms(records.map { ($0.arm, $0.summary) }, generated: generated)
        out += StudyPage.html(markdown: markdown(records))
        let firstSeed = records.map(\.seed).min()
        let series = records.filter { $0.seed == firstSeed }.enumerated().map { i, r in
            PlotSeries(name: r.arm, points: r.metrics.series("train_loss").map { PlotPoint(x: Double($0.step), y: $0.value) }, colorIndex: i)
        }
        var plot = SVGPlot(title: "Training batch loss (first seed)", yLabel: "train_loss", series: series, id: "cortex-recall-1")
        plot.yCap = Report.lossCap(series)
        out += "<figure>" + plot.svg() + "</figure>\n"
        return out + "</body></html>\n"
    }
}
