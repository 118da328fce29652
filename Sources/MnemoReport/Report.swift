// Runs -> one self-contained HTML file: inline CSS and SVG, no scripts, no fonts or images fetched from anywhere.
//
// Sections, in order: the runs (colour, name, directory); notes (warnings from loading, series no run logged); final
// figures per run; settings that differ between runs (and every setting, collapsed); charts: training loss,
// validation loss, learning rate, gradient norm, tokens/s, then one chart per other numeric series; the newest
// text sample of each run (collapsed). Each run keeps one colour in every chart and table.
//
// All text from run directories (names, config values, keys, samples) is escaped; nothing is trusted.

import Foundation
import MnemoSupport

public enum Report {
    /// The series with their own place, title and axis label, in chart order.
    static let knownSeries: [(key: String, title: String, axis: String)] = [
        ("train_loss", "Training loss", "train loss"),
        ("val_loss", "Validation loss", "val loss"),
        ("lr", "Learning rate", "learning rate"),
        ("grad_norm", "Gradient norm", "gradient norm"),
        ("tok_per_s", "Throughput", "tokens / s"),
    ]
    /// Series logged for bookkeeping, not charted.
    static let unplotted: Set<String> = ["elapsed_s"]

    /// Writes the report for `runs` to `path` (replacing it).
    public static func write(runs: [RunRecord], to path: String, title: String = "Mnemo run report") throws {
        let text = html(runs: runs, title: title)
        do { try AtomicFile.write(Data(text.utf8), to: path) } catch {
            throw RunRecordError("\(path): cannot write the report: \(error.message)"
                + ". hint: \(error.hint ?? "check that its folder exists and is writable")")
        }
    }

    /// The report as one HTML string.
    public static func html(runs: [RunRecord], title: String = "Mnemo run report", generated: Date = Date()) -> String {
        let names = displayNames(runs)
        let esc = SVGPlot.escape
        var out = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(esc(title))</title>
            <style>\(css)</style>
            </head>
            <body>
            <h1>\(esc(title))</h1>

            """
        let stamp = ISO8601DateFormatter().string(from: generated)
        out += "<p class=\"meta\">\(runs.count) run\(runs.count == 1 ? "" : "s") · generated \(esc(stamp))</p>\n"
        out += runList(runs, names: names)
        out += notes(runs, names: names)
        out += summaryTable(runs, names: names)
        out += settings(runs, names: names)
        out += charts(runs, names: names)
        out += samples(runs, names: names)
        out += "</body>\n</html>\n"
        return out
    }

    // MARK: - Sections

    private static func runList(_ runs: [RunRecord], names: [String]) -> String {
        var out = "<ul class=\"runs\">\n"
        for (i, run) in runs.enumerated() {
            out += "<li>\(swatch(i)) <b>\(SVGPlot.escape(names[i]))</b>"
            if let directory = run.directory {
                out += " <span class=\"path\">\(SVGPlot.escape(directory))</span>"
            }
            out += "</li>\n"
        }
        return out + "</ul>\n"
    }

    private static func notes(_ runs: [RunRecord], names: [String]) -> String {
        var items: [String] = []
        for (i, run) in runs.enumerated() {
            for warning in run.warnings { items.append("<b>\(SVGPlot.escape(names[i]))</b>: \(SVGPlot.escape(warning))") }
            if run.metrics.records.isEmpty {
                items.append("<b>\(SVGPlot.escape(names[i]))</b>: metrics.jsonl has no records yet")
            }
        }
        let logged = Set(runs.flatMap(\.metrics.keys))
        let missing = knownSeries.map(\.key).filter { !logged.contains($0) }
        if !missing.isEmpty && !runs.isEmpty {
            items.append("not logged by any run (no chart): " + missing.map { "<code>\($0)</code>" }.joined(separator: ", "))
        }
        guard !items.isEmpty else { return "" }
        return "<div class=\"notes\"><h2>Notes</h2><ul>\n" + items.map { "<li>\($0)</li>\n" }.joined() + "</ul></div>\n"
    }

    private static func summaryTable(_ runs: [RunRecord], names: [String]) -> String {
        let summaries = runs.map(\.summary)
        // Bold the best value of a column when there is more than one run to compare.
        func best(_ values: [Double?], lowest: Bool) -> Int? {
            guard runs.count > 1 else { return nil }
            let present = values.enumerated().compactMap { item in item.element.map { (item.offset, $0) } }
            guard present.count > 1 else { return nil }
            return (lowest ? present.min { $0.1 < $1.1 } : present.max { $0.1 < $1.1 })?.0
        }
        let bestTrain = best(summaries.map(\.lastTrainLoss), lowest: true)
        let bestVal = best(summaries.map(\.lastValLoss), lowest: true)
        let bestBest = best(summaries.map(\.bestValLoss), lowest: true)
        let bestSpeed = best(summaries.map(\.meanTokensPerSecond), lowest: false)

        var out = "<h2 id=\"figures\">Final figures</h2>\n<table class=\"figures\">\n<thead><tr><th>run</th><th>steps</th>"
            + "<th>train loss<br><small>last</small></th><th>val loss<br><small>last</small></th>"
            + "<th>val loss<br><small>best (step)</small></th>"
            + "<th title=\"mean over logged points, leaving out the first (warm-up)\">tokens / s<br><small>mean</small></th>"
            + "<th>wall time</th><th>checkpoints</th></tr></thead>\n<tbody>\n"
        for (i, summary) in summaries.enumerated() {
            func cell(_ text: String, bold: Bool) -> String {
                "<td class=\"num\">" + (bold ? "<b>\(text)</b>" : text) + "</td>"
            }
            var bestCell = loss(summary.bestValLoss)
            if let step = summary.bestValStep { bestCell += " <small>(\(groupedThousands(step)))</small>" }
            out += "<tr><td>\(swatch(i)) \(SVGPlot.escape(names[i]))</td>"
                + cell(groupedThousands(summary.steps), bold: false)
                + cell(loss(summary.lastTrainLoss), bold: bestTrain == i)
                + cell(loss(summary.lastValLoss), bold: bestVal == i)
                + cell(bestCell, bold: bestBest == i)
                + cell(summary.meanTokensPerSecond.map { groupedThousands(Int($0.rounded())) } ?? "—", bold: bestSpeed == i)
                + cell(summary.wallSeconds.map(duration) ?? "—", bold: false)
                + cell(runs[i].directory == nil ? "—" : String(runs[i].checkpoints.count), bold: false)
                + "</tr>\n"
        }
        out += "</tbody></table>\n"

        out += stabilityTable(runs, names: names)
        // Other series: their last value per run (the stability metrics have their table).
        let others = otherSeries(runs).filter { !isStabilityKey($0) }
        if !others.isEmpty {
            out += "<table class=\"figures\">\n<thead><tr><th>run</th>"
            for key in others { out += "<th>\(SVGPlot.escape(key))<br><small>last</small></th>" }
            out += "</tr></thead>\n<tbody>\n"
            for (i, run) in runs.enumerated() {
                out += "<tr><td>\(swatch(i)) \(SVGPlot.escape(names[i]))</td>"
                for key in others {
                    out += "<td class=\"num\">\(run.metrics.last(key).map(SVGPlot.value) ?? "—")</td>"
                }
                out += "</tr>\n"
            }
            out += "</tbody></table>\n"
        }
        return out
    }

    /// The stability metrics' columns (StabilityTracker, OscillationStatistics): key, header, tooltip.
    static let stabilityColumns: [(key: String, header: String, tip: String)] = [
        ("osc_fixed_p50", "R fixed<br><small>median</small>", "max/min of a fixed held-out batch's loss over windows of stability_window steps after warm-up"),
        ("osc_fixed_p95", "R fixed<br><small>p95</small>", ""),
        ("osc_fixed_max", "R fixed<br><small>max</small>", ""),
        ("osc_raw_p50", "R batch<br><small>median</small>", "the same on each step's training batch loss (includes the batches' own noise)"),
        ("osc_raw_p95", "R batch<br><small>p95</small>", ""),
        ("rebound_fixed", "rebound<br><small>fixed</small>", "max over t of L_t / min of L up to t"),
        ("spikes", "spikes", "steps whose loss exceeded 3 × the mean of the previous 10"),
    ]

    static func isStabilityKey(_ key: String) -> Bool {
        key.hasPrefix("osc_") || key.hasPrefix("rebound_") || key == "spikes" || key.hasPrefix("grad_norm_p90/")
    }

    /// Each run's last stability figures (every run logs them at each evaluation).
    private static func stabilityTable(_ runs: [RunRecord], names: [String]) -> String {
        guard runs.contains(where: { run in run.metrics.keys.contains { isStabilityKey($0) } }) else { return "" }
        var out = "<h3 id=\"stability\">Stability</h3>\n<table class=\"figures\">\n<thead><tr><th>run</th>"
        for column in stabilityColumns {
            out += "<th" + (column.tip.isEmpty ? "" : " title=\"\(SVGPlot.escape(column.tip))\"") + ">\(column.header)</th>"
        }
        out += "<th title=\"p90 of each clipping group's pre-clip gradient norm after warm-up\">grad norm p90</th></tr></thead>\n<tbody>\n"
        for (i, run) in runs.enumerated() {
            out += "<tr><td>\(swatch(i)) \(SVGPlot.escape(names[i]))</td>"
            for column in stabilityColumns {
                out += "<td class=\"num\">\(run.metrics.last(column.key).map(SVGPlot.value) ?? "—")</td>"
            }
            let groups = run.metrics.keys.filter { $0.hasPrefix("grad_norm_p90/") }.sorted()
                .compactMap { key in run.metrics.last(key).map { "\(key.dropFirst("grad_norm_p90/".count)) \(SVGPlot.value($0))" } }
            out += "<td>\(SVGPlot.escape(groups.isEmpty ? "—" : groups.joined(separator: ", ")))</td></tr>\n"
        }
        return out + "</tbody></table>\n"
    }

    private static func settings(_ runs: [RunRecord], names: [String]) -> String {
        let all = Set(runs.flatMap(\.config.keys)).sorted()
        var out = "<h2 id=\"settings\">Settings</h2>\n"
        if all.isEmpty {
            return out + "<p class=\"meta\">No run has a config.json.</p>\n"
        }
        if runs.count > 1 {
            let differing = differingSettings(runs)
            if differing.isEmpty {
                out += "<p>All runs have the same settings.</p>\n"
            } else {
                out += "<p class=\"meta\">\(differing.count) setting\(differing.count == 1 ? "" : "s") differ "
                    + "(— means the run does not have the setting).</p>\n"
                out += settingsTable(runs, names: names, keys: differing, highlight: false)
            }
        }
        out += "<details><summary>All settings (\(all.count))</summary>\n"
        out += settingsTable(runs, names: names, keys: all, highlight: runs.count > 1)
        return out + "</details>\n"
    }

    private static func settingsTable(_ runs: [RunRecord], names: [String], keys: [String], highlight: Bool) -> String {
        var out = "<table class=\"settings\">\n<thead><tr><th>setting</th>"
        for (i, name) in names.enumerated() { out += "<th>\(swatch(i)) \(SVGPlot.escape(name))</th>" }
        out += "</tr></thead>\n<tbody>\n"
        for key in keys {
            let values = runs.map { $0.config[key] }
            let differs = highlight && Set(values.map { $0 ?? "\u{0}" }).count > 1
            out += "<tr\(differs ? " class=\"differs\"" : "")><td><code>\(SVGPlot.escape(key))</code></td>"
            for value in values {
                out += "<td>" + (value.map { SVGPlot.escape($0) } ?? "<span class=\"absent\">—</span>") + "</td>"
            }
            out += "</tr>\n"
        }
        return out + "</tbody></table>\n"
    }

    private static func charts(_ runs: [RunRecord], names: [String]) -> String {
        var specs = knownSeries.map { (key: $0.key, title: $0.title, axis: $0.axis) }
        specs += otherSeries(runs).map { (key: $0, title: $0, axis: $0) }
        var out = "<h2 id=\"charts\">Charts</h2>\n<div class=\"charts\">\n"
        var count = 0
        for spec in specs {
            let series = runs.enumerated().compactMap { i, run -> PlotSeries? in
                guard run.metrics.keys.contains(spec.key) else { return nil }
                let points = run.metrics.series(spec.key).map { PlotPoint(x: Double($0.step), y: $0.value) }
                return PlotSeries(name: names[i], points: points, colorIndex: i)
            }
            guard !series.isEmpty else { continue }
            count += 1
            var plot = SVGPlot(title: spec.title, yLabel: spec.axis, series: series,
                               logY: spec.key == "grad_norm", id: "chart-\(count)")
            if spec.key.contains("loss") { plot.yCap = lossCap(series) }
            out += "<figure>\n" + plot.svg() + "</figure>\n"
        }
        for family in layerFamilies(runs) {
            count += 1
            out += "<figure>\n" + layerChart(family, runs, names: names, id: "chart-\(count)").svg() + "</figure>\n"
        }
        if count == 0 { out += "<p class=\"meta\">No series to chart.</p>\n" }
        return out + "</div>\n"
    }

    // MARK: - Per-layer series

    /// Titles of the per-layer families the models log (others are charted under their own name).
    static let layerTitles: [String: (title: String, axis: String)] = [
        "resid_in": ("Residual stream entering each layer (std over channels)", "std of the residual"),
        "resid_mid": ("Residual stream between attention and MLP", "std of the residual"),
        "resid_norm": ("Residual stream after each block's first norm", "std after the norm"),
        "loss_layer": ("Loss at each layer", "cross-entropy"),
        "exit_layer": ("Tokens exiting at each layer", "fraction of tokens"),
    ]

    /// "resid_in/3" → ("resid_in", 3); nil for a key that is not FAMILY/LAYER.
    static func layerKey(_ key: String) -> (family: String, layer: Int)? {
        guard let slash = key.lastIndex(of: "/"), let layer = Int(key[key.index(after: slash)...]), layer >= 0,
              slash != key.startIndex else { return nil }
        return (String(key[..<slash]), layer)
    }

    /// The per-layer families any run logged, in order of first appearance.
    public static func layerFamilies(_ runs: [RunRecord]) -> [String] {
        var seen = Set<String>(), out: [String] = []
        for run in runs {
            for key in run.metrics.keys {
                if let family = layerKey(key)?.family, seen.insert(family).inserted { out.append(family) }
            }
        }
        return out
    }

    /// A chart of one family against the layer: for one run, a curve at up to five evaluations spread over
    /// training (how the profile changes as it trains); for several runs, each run's last logged profile.
    public static func layerChart(_ family: String, _ runs: [RunRecord], names: [String], id: String) -> SVGPlot {
        func profile(_ run: RunRecord, step: Int) -> [PlotPoint] {
            run.metrics.keys.compactMap { key -> PlotPoint? in
                guard let (f, layer) = layerKey(key), f == family,
                      let value = run.metrics.series(key).last(where: { $0.step == step })?.value else { return nil }
                return PlotPoint(x: Double(layer), y: value)
            }.sorted { $0.x < $1.x }
        }
        func steps(_ run: RunRecord) -> [Int] { run.metrics.series(family + "/0").map(\.step) }
        var series: [PlotSeries] = []
        if runs.count == 1, let run = runs.first {
            let all = steps(run)
            let picks = all.count <= 5 ? all : (0..<5).map { all[$0 * (all.count - 1) / 4] }
            for (k, step) in picks.enumerated() {
                series.append(PlotSeries(name: "step \(step)", points: profile(run, step: step), colorIndex: k))
            }
        } else {
            for (i, run) in runs.enumerated() {
                guard let last = steps(run).last else { continue }
                series.append(PlotSeries(name: names[i], points: profile(run, step: last), colorIndex: i))
            }
        }
        let values = series.flatMap(\.points).map(\.y).filter { $0.isFinite && $0 > 0 }
        let spread = (values.max() ?? 1) / Swift.max(values.min() ?? 1, 1e-300)
        let (title, axis) = layerTitles[family] ?? (family + " per layer", family)
        return SVGPlot(title: title + (runs.count == 1 ? "" : " (last evaluation)"), xLabel: "layer", yLabel: axis,
                       series: series, logY: spread > 50, id: id)
    }

    private static func samples(_ runs: [RunRecord], names: [String]) -> String {
        let withSamples = runs.enumerated().filter { $0.element.latestSample != nil }
        guard !withSamples.isEmpty else { return "" }
        var out = "<h2 id=\"samples\">Samples</h2>\n"
        for (i, run) in withSamples {
            let sample = run.latestSample!
            out += "<details><summary>\(swatch(i)) \(SVGPlot.escape(names[i])): <code>\(SVGPlot.escape(sample.name))</code>"
                + " <small>(newest of \(run.samples.count))</small></summary>\n"
                + "<pre>\(SVGPlot.escape(sample.text))</pre></details>\n"
        }
        return out
    }

    // MARK: - Helpers

    /// Config keys whose values are not the same in every run (a key missing from some runs counts as differing),
    /// sorted.
    public static func differingSettings(_ runs: [RunRecord]) -> [String] {
        let keys = Set(runs.flatMap(\.config.keys))
        return keys.filter { key in
            let values = runs.map { $0.config[key] }
            return values.contains { $0 != values[0] }
        }.sorted()
    }

    /// Numeric series other than the known five and the unplotted ones, in order of first appearance.
    static func otherSeries(_ runs: [RunRecord]) -> [String] {
        var seen = Set(knownSeries.map(\.key)).union(unplotted)
        var out: [String] = []
        for run in runs {
            for key in run.metrics.keys where layerKey(key) == nil && seen.insert(key).inserted { out.append(key) }
        }
        return out
    }

    /// The y-axis cap for a loss chart: the highest value once each run is 10% of the way through its steps, when
    /// the first steps' much higher loss would otherwise flatten everything after them; nil to show everything.
    public static func lossCap(_ series: [PlotSeries]) -> Double? {
        var all: [Double] = []
        var later: [Double] = []
        for item in series {
            let points = item.points.filter { $0.x.isFinite && $0.y.isFinite }
            guard let first = points.first?.x, let last = points.last?.x else { continue }
            let threshold = first + (last - first) * 0.1
            all += points.map(\.y)
            later += points.filter { $0.x >= threshold }.map(\.y)
        }
        guard let low = all.min(), let high = all.max(), let laterHigh = later.max(), later.count >= 3 else { return nil }
        // Worth it only when the cut-off part would take more than half the height.
        guard (high - laterHigh) > (laterHigh - low) else { return nil }
        return laterHigh + (laterHigh - low) * 0.05
    }

    /// Run names as shown: the directory name, or parent/name when two runs share a name.
    static func displayNames(_ runs: [RunRecord]) -> [String] {
        let plain = runs.map(\.name)
        var counts: [String: Int] = [:]
        for name in plain { counts[name, default: 0] += 1 }
        return runs.map { run in
            guard counts[run.name, default: 0] > 1, let directory = run.directory else { return run.name }
            let url = URL(fileURLWithPath: directory).standardizedFileURL
            return url.deletingLastPathComponent().lastPathComponent + "/" + url.lastPathComponent
        }
    }

    private static func swatch(_ index: Int) -> String {
        "<span class=\"swatch\" style=\"background:\(SVGPlot.color(index))\"></span>"
    }

    private static func loss(_ value: Double?) -> String {
        value.map { String(format: "%.4f", $0) } ?? "—"
    }

    /// Seconds -> "42.0 s", "7 min 05 s", "2 h 03 min".
    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "—" }
        if seconds < 60 { return String(format: "%.1f s", seconds) }
        let whole = Int(seconds.rounded())
        if whole < 3600 { return String(format: "%d min %02d s", whole / 60, whole % 60) }
        return String(format: "%d h %02d min", whole / 3600, (whole % 3600) / 60)
    }

    private static let css = """

        :root { color-scheme: light; }
        body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #222; background: #fff;
               max-width: 1260px; margin: 24px auto; padding: 0 20px; line-height: 1.4; }
        h1 { font-size: 24px; margin: 0 0 4px; }
        h2 { font-size: 18px; margin: 28px 0 10px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
        .meta { color: #666; margin: 4px 0 10px; }
        ul.runs { list-style: none; padding: 0; margin: 10px 0; }
        ul.runs li { margin: 3px 0; }
        .path { color: #777; font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; margin-left: 6px; }
        .swatch { display: inline-block; width: 12px; height: 12px; border-radius: 2px; vertical-align: -1px; }
        .notes { background: #fff8e6; border: 1px solid #f0d48a; border-radius: 4px; padding: 2px 14px; margin: 14px 0; }
        .notes h2 { border: none; font-size: 15px; margin: 8px 0 0; }
        .notes ul { margin: 6px 0 10px; padding-left: 20px; }
        table { border-collapse: collapse; margin: 8px 0 14px; font-size: 13px; }
        th, td { border: 1px solid #ddd; padding: 4px 10px; text-align: left; vertical-align: top; }
        th { background: #f4f4f4; font-weight: 600; }
        th small, td small { color: #777; font-weight: normal; }
        td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
        tbody tr:nth-child(even) td { background: #fafafa; }
        table.settings td { max-width: 360px; overflow-wrap: anywhere; }
        tr.differs td { background: #fff4d6 !important; }
        .absent { color: #aaa; }
        code, pre { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; }
        details { margin: 8px 0; }
        summary { cursor: pointer; color: #333; }
        pre { background: #f7f7f7; border: 1px solid #e3e3e3; padding: 10px; white-space: pre-wrap;
              overflow-wrap: anywhere; max-height: 420px; overflow: auto; }
        .charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); gap: 18px 24px; }
        figure { margin: 0; }
        svg.plot { max-width: 100%; height: auto; display: block; }

        """
}
