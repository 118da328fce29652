// GrokReport.swift — the grokking study's one HTML file and its text table.
//
// The page: what was run, a table with the first step each arm reaches 95 / 99 / 100% test accuracy ("never" within
// its budget) beside its final figures and the figure an independent implementation measured, then one section per
// experiment (B1, B2, B3, T1) with overlaid SVG charts (SVGPlot) of test and train accuracy, train and test loss,
// SC fraction, zero-loss fraction, median margin, weight norm and the output layer's update/weight cosine. Each arm
// keeps its colour on every chart. Self-contained: inline CSS and SVG, no scripts. The arms come as plain
// StudyArmRecords: the report needs nothing from the code that trained them.
import Foundation
import MnemoReport
import MnemoSupport

public enum GrokReport {
    /// The accuracy thresholds of the table.
    public static let thresholds: [Double] = [0.95, 0.99, 1.0]

    /// The charts of each experiment: metrics key, title, axis label, scale to apply, log axis.
    static let charts: [(key: String, title: String, axis: String, scale: Double, logY: Bool)] = [
        ("test_acc", "Test accuracy", "test accuracy (%)", 100, false),
        ("train_acc", "Train accuracy", "train accuracy (%)", 100, false),
        ("train_loss", "Train loss", "train loss", 1, true),
        ("val_loss", "Test loss", "test loss", 1, true),
        ("sc_fraction", "Softmax collapse (train samples with Σexp(z − max z) = 1 in float32)", "SC (%)", 100, false),
        ("zero_loss_fraction", "Train samples with a loss of exactly 0", "zero-loss samples (%)", 100, false),
        ("median_margin", "Median logit margin (target − best other)", "median margin", 1, false),
        ("weight_norm", "Weight norm ‖θ‖₂ (all parameters)", "‖θ‖₂", 1, false),
        ("update_cos", "cos(update, weights) of the output layer", "cosine", 1, false),
    ]

    /// "123" or "never".
    static func stepText(_ step: Int?) -> String { step.map(String.init) ?? "never" }

    static func percent(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "—" }
        return String(format: "%.1f%%", value * 100)
    }

    /// The table as plain text (for the terminal).
    public static func table(_ results: [StudyArmRecord]) -> String {
        let header = ["arm", "steps", "≥95%", "≥99%", "100%", "train acc", "test acc", "SC", "margin", "time", "steps/s"]
        var rows = [header]
        for r in results {
            var row: [String] = [r.name, String(r.steps)]
            for threshold in thresholds { row.append(stepText(r.firstStep(testAccuracy: threshold))) }
            row.append(percent(r.last("train_acc")))
            row.append(percent(r.last("test_acc")))
            row.append(percent(r.last("sc_fraction")))
            row.append(r.last("median_margin").map { String(format: "%.2f", $0) } ?? "—")
            row.append(r.wallSeconds.map { String(format: "%.0f s", $0) } ?? "—")
            row.append(r.stepsPerSecond.map { String(format: "%.2f", $0) } ?? "—")
            rows.append(row)
        }
        let widths = header.indices.map { c in rows.map { $0[c].count }.max() ?? 0 }
        return rows.enumerated().map { i, row in
            let cells = row.enumerated().map { c, text in
                let pad = String(repeating: " ", count: widths[c] - text.count)
                return c == 0 ? text + pad : pad + text
            }
            let line = cells.joined(separator: "  ")
            return i == 0 ? line + "\n" + String(repeating: "-", count: line.count) : line
        }.joined(separator: "\n")
    }

    /// Writes the page to `path` (replacing it).
    public static func write(_ results: [StudyArmRecord], suite: String, wallSeconds: Double?, to path: String) throws {
        let text = html(results, suite: suite, wallSeconds: wallSeconds)
        do { try AtomicFile.write(Data(text.utf8), to: path) } catch {
            throw RunRecordError("\(path): cannot write the report: \(error.message)"
                + ". hint: \(error.hint ?? "check that its folder exists and is writable")")
        }
    }

    public static func html(_ results: [StudyArmRecord], suite: String, wallSeconds: Double?,
                            generated: Date = Date()) -> String {
        let esc = SVGPlot.escape
        var out = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Mnemo grokking study (\(esc(suite)))</title>
            <style>\(css)</style>
            </head>
            <body>
            <h1>Grokking at the edge of numerical stability — suite <code>\(esc(suite))</code></h1>

            """
        var meta = "\(results.count) arms · generated \(ISO8601DateFormatter().string(from: generated))"
        if let wallSeconds { meta += String(format: " · study wall time %.0f s (%.1f min)", wallSeconds, wallSeconds / 60) }
        out += "<p class=\"meta\">\(esc(meta))</p>\n"
        out += "<p>Full-batch training on every pair (a, b) of a modular-arithmetic table, split at random into train and "
            + "test pairs. SC (softmax collapse) is the fraction of train samples whose Σ exp(z − max z) is exactly 1 in "
            + "float32: their softmax loss and gradient are exactly 0. It is measured on the softmax of the logits for "
            + "every arm, so for a StableMax arm it shows what softmax would do with those logits; the StableMax loss "
            + "itself never reaches 0 (its zero-loss chart stays at 0). ⊥AdamW removes from each gradient its component "
            + "along the weights; StableMax replaces exp by s(x) = x + 1 for x ≥ 0 and 1/(1 − x) below. The last chart "
            + "is the cosine between one step's change of the output layer and its weights: near 1 when training only "
            + "scales the logits up (naive loss minimisation). Each arm is a run folder that <code>mnemo report</code> "
            + "can compare with other runs.</p>\n"

        // The table.
        out += "<h2>First step reaching a test accuracy</h2>\n<table>\n<thead><tr><th>arm</th><th>what</th><th>steps</th>"
            + "<th>train<br><small>fraction</small></th>"
            + thresholds.map { "<th>≥ \(Int($0 * 100))%<br><small>first step</small></th>" }.joined()
            + "<th>train acc<br><small>final</small></th><th>test acc<br><small>final</small></th>"
            + "<th>SC<br><small>final</small></th><th>median margin<br><small>final</small></th>"
            + "<th>time</th><th>steps/s</th><th>expected (paper and reference implementation)</th></tr></thead>\n<tbody>\n"
        for (i, r) in results.enumerated() {
            out += "<tr><td>\(swatch(i)) <b>\(esc(r.name))</b></td><td>\(esc(r.summary))</td>"
                + num(String(r.steps)) + num(String(format: "%.0f%%", r.trainFraction * 100))
            for threshold in thresholds {
                let step = r.firstStep(testAccuracy: threshold)
                out += num(step == nil ? "<span class=\"never\">never</span>" : String(step!))
            }
            out += num(percent(r.last("train_acc")))
            out += num(percent(r.last("test_acc")))
            out += num(percent(r.last("sc_fraction")))
            out += num(r.last("median_margin").map { String(format: "%.2f", $0) } ?? "—")
            out += num(r.wallSeconds.map { String(format: "%.0f s", $0) } ?? "—")
            out += num(r.stepsPerSecond.map { String(format: "%.2f", $0) } ?? "—")
            let expectation = r.expectation.isEmpty ? "—" : r.expectation
            out += "<td>\(esc(expectation))</td></tr>\n"
        }
        out += "</tbody></table>\n<p class=\"meta\">Evaluated every \(esc(evalSummary(results))) steps; a threshold is "
            + "reached at the first evaluated step at or above it.</p>\n"

        // One section of charts per experiment.
        var groups: [String] = []
        for r in results where !groups.contains(r.group) { groups.append(r.group) }
        var chartCount = 0
        for group in groups {
            let members = results.enumerated().filter { $0.element.group == group }
            out += "<h2>\(esc(group)): " + esc(members.map(\.element.name).joined(separator: ", ")) + "</h2>\n"
            out += "<div class=\"charts\">\n"
            for chart in charts {
                let series = members.compactMap { i, r -> PlotSeries? in
                    guard r.metrics.keys.contains(chart.key) else { return nil }
                    let points = r.metrics.series(chart.key).map { PlotPoint(x: Double($0.step), y: $0.value * chart.scale) }
                    return PlotSeries(name: r.name, points: points, colorIndex: i)
                }
                guard !series.isEmpty else { continue }
                chartCount += 1
                let plot = SVGPlot(title: chart.title, yLabel: chart.axis, series: series, logY: chart.logY,
                                   id: "grok-\(chartCount)")
                out += "<figure>\n" + plot.svg() + "</figure>\n"
            }
            out += "</div>\n"
        }
        out += "</body>\n</html>\n"
        return out
    }

    static func evalSummary(_ results: [StudyArmRecord]) -> String {
        let values = Set(results.map(\.evalEvery)).sorted()
        return values.map(String.init).joined(separator: " / ")
    }

    private static func num(_ text: String) -> String { "<td class=\"num\">\(text)</td>" }

    private static func swatch(_ index: Int) -> String {
        "<span class=\"swatch\" style=\"background:\(SVGPlot.color(index))\"></span>"
    }

    private static let css = """

        body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #222; background: #fff;
               max-width: 1260px; margin: 24px auto; padding: 0 20px; line-height: 1.4; }
        h1 { font-size: 22px; margin: 0 0 4px; }
        h2 { font-size: 18px; margin: 28px 0 10px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
        .meta { color: #666; margin: 4px 0 10px; }
        .swatch { display: inline-block; width: 12px; height: 12px; border-radius: 2px; vertical-align: -1px; }
        table { border-collapse: collapse; margin: 8px 0 14px; font-size: 13px; }
        th, td { border: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }
        th { background: #f4f4f4; font-weight: 600; }
        th small { color: #777; font-weight: normal; }
        td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
        .never { color: #b00; }
        code { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; }
        .charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); gap: 18px 24px; }
        figure { margin: 0; }
        svg.plot { max-width: 100%; height: auto; display: block; }

        """
}
