// Line charts as inline SVG text, for the HTML run report. No JavaScript: hovering a marker shows its value through
// an SVG <title>.
//
// One chart overlays several series (one per run), each with a colour from a fixed palette chosen by the caller,
// so that a run keeps its colour across every chart of a report (after ten runs the colours repeat with dashes).
// Axes get "nice" ticks (1, 2 or 5 times a power of ten); the y axis can be logarithmic. NaN and infinite
// values break a line (and, on a log axis, so do values <= 0); a lone point between breaks is drawn as a dot;
// a constant series or a single point gets a padded axis instead of a zero-height one. A series with more points
// than the chart has half-pixels is thinned to each half-pixel's first, lowest, highest and last point, which
// keeps the envelope of a noisy curve.
//
// Not done: smoothing, a second y axis, dates on the x axis.

import Foundation

/// One line of a chart.
public struct PlotSeries: Sendable {
    public var name: String
    public var points: [PlotPoint]
    /// Index into the palette (the run's index in a report); it picks the colour and, past the palette, a dash.
    public var colorIndex: Int

    public init(name: String, points: [PlotPoint], colorIndex: Int) {
        self.name = name
        self.points = points
        self.colorIndex = colorIndex
    }
}

public struct PlotPoint: Sendable, Equatable {
    public var x: Double
    public var y: Double

    public init(x: Double, y: Double) {
        self.x = x
        self.y = y
    }
}

/// One axis: its drawn range and where its ticks are.
public struct PlotAxis: Sendable, Equatable {
    public var lower: Double
    public var upper: Double
    public var ticks: [Double]
    /// Distance between ticks of a linear axis; for a log axis, nil (labels then use each tick's own size).
    public var step: Double?
    public var isLog: Bool

    /// A linear axis covering `lower...upper`, widened to whole multiples of a 1-2-5 step so that there are about
    /// `target` ticks. An empty range (a constant series) is padded first.
    public static func linear(_ lower: Double, _ upper: Double, target: Int = 6) -> PlotAxis {
        var low = lower
        var high = upper
        if !(high > low) {
            let pad = low == 0 ? 1 : abs(low) * 0.1
            low -= pad
            high += pad
        }
        let step = niceStep((high - low) / Double(max(target - 1, 1)))
        let first = (low / step + 1e-9).rounded(.down)
        let last = (high / step - 1e-9).rounded(.up)
        let ticks = stride(from: first, through: last, by: 1).map { $0 * step }
        return PlotAxis(lower: first * step, upper: last * step, ticks: ticks, step: step, isLog: false)
    }

    /// A log axis covering `lower...upper` (both > 0) with a little margin. Ticks are powers of ten when the range
    /// spans enough decades, else 1-2-5 multiples, else 1…9 multiples, else linear 1-2-5 ticks inside the range.
    public static func log(_ lower: Double, _ upper: Double) -> PlotAxis {
        precondition(lower > 0 && upper > 0, "a log axis needs positive bounds")
        var low = lower
        var high = upper
        if !(high > low) {
            low /= 1.25
            high *= 1.25
        }
        let margin = Foundation.pow(high / low, 0.03)
        low /= margin
        high *= margin
        let firstDecade = Int(Foundation.log10(low).rounded(.down))
        let lastDecade = Int(Foundation.log10(high).rounded(.up))
        func ticks(_ mantissas: [Double]) -> [Double] {
            var out: [Double] = []
            for decade in firstDecade...lastDecade {
                for mantissa in mantissas {
                    let value = mantissa * Foundation.pow(10, Double(decade))
                    if value >= low * (1 - 1e-9) && value <= high * (1 + 1e-9) { out.append(value) }
                }
            }
            return out
        }
        var chosen = ticks([1])
        if chosen.count > 8 {
            let every = (chosen.count + 7) / 8
            chosen = chosen.enumerated().filter { $0.offset % every == 0 }.map(\.element)
        }
        if chosen.count < 3 { chosen = ticks([1, 2, 5]) }
        if chosen.count < 3 { chosen = ticks([1, 2, 3, 4, 5, 6, 7, 8, 9]) }
        if chosen.count < 3 {
            // Less than a factor of ~1.5 between the ends: linear ticks, as many as needed to get a few inside.
            var inner = linear(low, high, target: 5)
            for target in [8, 12, 20] where inner.ticks.filter({ $0 >= low && $0 <= high }).count < 3 {
                inner = linear(low, high, target: target)
            }
            let inside = inner.ticks.filter { $0 >= low && $0 <= high }
            return PlotAxis(lower: low, upper: high, ticks: inside, step: inner.step, isLog: true)
        }
        return PlotAxis(lower: low, upper: high, ticks: chosen, step: nil, isLog: true)
    }

    /// The smallest of 1, 2, 5 or 10 times a power of ten that is >= `raw` (> 0).
    public static func niceStep(_ raw: Double) -> Double {
        guard raw > 0, raw.isFinite else { return 1 }
        let power = Foundation.pow(10, Foundation.log10(raw).rounded(.down))
        let fraction = raw / power
        for multiple in [1.0, 2, 5] where fraction <= multiple * (1 + 1e-9) {
            return multiple * power
        }
        return 10 * power
    }

    /// Position of `value` along the axis, 0 at `lower` and 1 at `upper`.
    func fraction(_ value: Double) -> Double {
        if isLog {
            return (Foundation.log10(value) - Foundation.log10(lower)) / (Foundation.log10(upper) - Foundation.log10(lower))
        }
        return (value - lower) / (upper - lower)
    }

    /// Tick labels: a fixed number of decimals from the step ("0.5", "1.0", "0.0105"), k/M for thousands and
    /// millions ("20k", "1.5M"), and short scientific form when the step needs more than four decimals ("2e-5",
    /// "1.5e-4"). A log axis labels each tick by its own size, all in scientific form if any tick is below 0.001.
    public func label(_ value: Double) -> String {
        if let step { return Self.label(value, step: step) }
        let smallest = ticks.map(abs).filter { $0 > 0 }.min() ?? 1
        if smallest < 1e-3 { return Self.scientific(value, step: value) }
        return Self.label(value, step: value)
    }

    public static func label(_ value: Double, step: Double) -> String {
        let step = abs(step)
        if value == 0 || abs(value) < step * 1e-6 { return "0" }
        if step >= 1000 {
            let unit = abs(value) >= 1e6 ? 1e6 : 1e3
            return fixed(value / unit, step: step / unit) + (unit == 1e6 ? "M" : "k")
        }
        if step < 1e-4 * (1 - 1e-9) { return scientific(value, step: step) }
        return fixed(value, step: step)
    }

    /// "2e-5", "1.5e-4": as many mantissa digits as the step needs (at most 4).
    private static func scientific(_ value: Double, step: Double) -> String {
        if value == 0 { return "0" }
        var exponent = Int(Foundation.log10(abs(value)).rounded(.down))
        let digits = min(4, max(0, exponent - Int((Foundation.log10(abs(step)) + 1e-9).rounded(.down))))
        var mantissa = value / Foundation.pow(10, Double(exponent))
        let scale = Foundation.pow(10, Double(digits))
        mantissa = (mantissa * scale).rounded() / scale
        if abs(mantissa) >= 10 {
            mantissa /= 10
            exponent += 1
        }
        var text = String(format: "%.\(digits)f", mantissa)
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text + "e" + String(exponent)
    }

    private static func fixed(_ value: Double, step: Double) -> String {
        let decimals = max(0, Int((-Foundation.log10(step) - 1e-9).rounded(.up)))
        let text = String(format: "%.\(min(decimals, 10))f", value)
        return text.hasPrefix("-") && Double(text) == 0 ? String(text.dropFirst()) : text
    }
}

/// A line chart: several series overlaid, ticks, labels, legend; `svg()` renders it.
public struct SVGPlot: Sendable {
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [PlotSeries]
    public var logY: Bool
    /// Unique within the page: it names the chart's clip path.
    public var id: String
    /// Outer width and plot-area height, in pixels (the legend adds rows below).
    public var width: Double = 600
    public var plotHeight: Double = 240
    /// Draw a marker (with a hover title) on every point when a series has at most this many; otherwise only on
    /// the last point.
    public var markerLimit = 80
    /// Caps the y axis (a zoom): values above it run off the top of the chart. Ignored when it is not above the
    /// smallest value.
    public var yCap: Double?

    /// Ten colours (Tableau 10), in the order runs get them.
    public static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                 "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"]
    private static let dashes = ["", "7 3", "2 2", "8 3 2 3"]

    public init(title: String, xLabel: String = "step", yLabel: String, series: [PlotSeries], logY: Bool = false,
                id: String) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
        self.logY = logY
        self.id = id
    }

    public static func color(_ index: Int) -> String { palette[index % palette.count] }

    public static func dash(_ index: Int) -> String { dashes[(index / palette.count) % dashes.count] }

    // Layout, in pixels.
    private let left = 64.0
    private let right = 16.0
    private let top = 32.0
    private let legendRow = 18.0

    private func usable(_ point: PlotPoint, logY: Bool) -> Bool {
        point.x.isFinite && point.y.isFinite && (!logY || point.y > 0)
    }

    /// The axes, from the usable points of all series; nil when there are none. A log axis with no positive
    /// values falls back to linear.
    func axes() -> (x: PlotAxis, y: PlotAxis, capped: Bool)? {
        var log = logY
        var points = series.flatMap(\.points).filter { usable($0, logY: log) }
        if points.isEmpty && log {
            log = false
            points = series.flatMap(\.points).filter { usable($0, logY: false) }
        }
        guard let first = points.first else { return nil }
        var (xLow, xHigh, yLow, yHigh) = (first.x, first.x, first.y, first.y)
        for point in points {
            xLow = min(xLow, point.x)
            xHigh = max(xHigh, point.x)
            yLow = min(yLow, point.y)
            yHigh = max(yHigh, point.y)
        }
        var capped = false
        if let yCap, yCap > yLow, yCap < yHigh {
            yHigh = yCap
            capped = true
        }
        let xAxis = PlotAxis.linear(xLow, xHigh, target: 7)
        if log { return (xAxis, PlotAxis.log(yLow, yHigh), capped) }
        var yAxis = PlotAxis.linear(yLow, yHigh, target: 6)
        // Where the data reaches the outer tick, a little room beyond it so that the line does not run along the
        // frame (except along zero, a natural floor).
        let span = yAxis.upper - yAxis.lower
        if !capped && yHigh >= yAxis.upper - span * 1e-9 { yAxis.upper += span * 0.03 }
        if yLow <= yAxis.lower + span * 1e-9 && yAxis.lower != 0 { yAxis.lower -= span * 0.03 }
        return (xAxis, yAxis, capped)
    }

    public func svg() -> String {
        let plotWidth = width - left - right
        let axes = self.axes()
        let logAxis = axes?.y.isLog ?? false
        let legendLines = legendLayout(maxWidth: width - left - right + 40, logY: logAxis)
        let legendTop = top + plotHeight + 50
        let height = legendTop + Double(legendLines.count) * legendRow + 6
        let esc = Self.escape

        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"plot\" viewBox=\"0 0 \(coord(width)) \(coord(height))\" "
            + "width=\"\(coord(width))\" height=\"\(coord(height))\" role=\"img\" aria-label=\"\(esc(title))\" "
            + "font-family=\"system-ui, -apple-system, 'Segoe UI', sans-serif\" font-size=\"11\">\n"
        out += "<title>\(esc(title))</title>\n"
        out += "<text x=\"\(coord(width / 2))\" y=\"18\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"600\" "
            + "fill=\"#222\">\(esc(title))</text>\n"
        out += "<defs><clipPath id=\"\(esc(id))-clip\"><rect x=\"\(coord(left))\" y=\"\(coord(top))\" "
            + "width=\"\(coord(plotWidth))\" height=\"\(coord(plotHeight))\"/></clipPath></defs>\n"

        let frame = "<rect x=\"\(coord(left))\" y=\"\(coord(top))\" width=\"\(coord(plotWidth))\" height=\"\(coord(plotHeight))\" "
            + "fill=\"none\" stroke=\"#888\" stroke-width=\"1\"/>\n"
        guard let axes else {
            out += frame
            out += "<text x=\"\(coord(left + plotWidth / 2))\" y=\"\(coord(top + plotHeight / 2))\" text-anchor=\"middle\" "
                + "fill=\"#888\">no data</text>\n"
            out += legend(legendLines, top: legendTop, logY: logAxis)
            return out + "</svg>\n"
        }
        let (xAxis, yAxis, capped) = axes
        if capped {
            out += "<text x=\"\(coord(left + plotWidth - 4))\" y=\"\(coord(top - 5))\" text-anchor=\"end\" font-size=\"10\" "
                + "fill=\"#888\">zoomed: the first steps run off the top</text>\n"
        }
        func px(_ x: Double) -> Double { left + xAxis.fraction(x) * plotWidth }
        func py(_ y: Double) -> Double { top + plotHeight - yAxis.fraction(y) * plotHeight }

        // Grid and ticks.
        out += "<g stroke=\"#e6e6e6\" stroke-width=\"1\">"
        for tick in xAxis.ticks { out += "<line x1=\"\(coord(px(tick)))\" y1=\"\(coord(top))\" x2=\"\(coord(px(tick)))\" y2=\"\(coord(top + plotHeight))\"/>" }
        for tick in yAxis.ticks { out += "<line x1=\"\(coord(left))\" y1=\"\(coord(py(tick)))\" x2=\"\(coord(left + plotWidth))\" y2=\"\(coord(py(tick)))\"/>" }
        out += "</g>\n" + frame
        out += "<g fill=\"#444\">"
        for tick in xAxis.ticks {
            out += "<text x=\"\(coord(px(tick)))\" y=\"\(coord(top + plotHeight + 15))\" text-anchor=\"middle\">\(esc(xAxis.label(tick)))</text>"
        }
        for tick in yAxis.ticks {
            out += "<text x=\"\(coord(left - 6))\" y=\"\(coord(py(tick) + 4))\" text-anchor=\"end\">\(esc(yAxis.label(tick)))</text>"
        }
        out += "</g>\n"
        out += "<text x=\"\(coord(left + plotWidth / 2))\" y=\"\(coord(top + plotHeight + 34))\" text-anchor=\"middle\" "
            + "fill=\"#222\">\(esc(xLabel))</text>\n"
        let yLabelText = yLabel + (yAxis.isLog ? " (log scale)" : "")
        out += "<text transform=\"translate(14 \(coord(top + plotHeight / 2))) rotate(-90)\" text-anchor=\"middle\" "
            + "fill=\"#222\">\(esc(yLabelText))</text>\n"

        // The series, clipped to the plot area.
        out += "<g clip-path=\"url(#\(esc(id))-clip)\" fill=\"none\" stroke-width=\"1.6\" stroke-linejoin=\"round\" "
            + "stroke-linecap=\"round\">\n"
        var markers = ""
        for item in series {
            let color = Self.color(item.colorIndex)
            let dash = Self.dash(item.colorIndex)
            let dashAttribute = dash.isEmpty ? "" : " stroke-dasharray=\"\(dash)\""
            let segments = self.segments(of: item.points, logY: yAxis.isLog, xAxis: xAxis, plotWidth: plotWidth)
            var path = ""
            for segment in segments where segment.count > 1 {
                for (i, point) in segment.enumerated() {
                    path += (i == 0 ? "M" : "L") + coord(px(point.x)) + " " + coord(py(point.y))
                }
            }
            if !path.isEmpty {
                out += "<path d=\"\(path)\" stroke=\"\(color)\"\(dashAttribute)/>\n"
            }
            // Markers: every point of a short series, a lone point between gaps, the last point of any series.
            let usablePoints = item.points.filter { usable($0, logY: yAxis.isLog) }
            let everyPoint = usablePoints.count <= markerLimit
            var marked: [PlotPoint] = everyPoint ? usablePoints : segments.filter { $0.count == 1 }.map { $0[0] }
            if !everyPoint, let last = usablePoints.last { marked.append(last) }
            for point in marked {
                let tip = "\(item.name) · \(xLabel) \(Self.value(point.x)) · \(yLabel) \(Self.value(point.y))"
                markers += "<circle cx=\"\(coord(px(point.x)))\" cy=\"\(coord(py(point.y)))\" r=\"2.8\" fill=\"\(color)\">"
                    + "<title>\(esc(tip))</title></circle>"
            }
            if !markers.isEmpty { markers += "\n" }
        }
        out += "</g>\n"
        out += "<g clip-path=\"url(#\(esc(id))-clip)\">\n" + markers + "</g>\n"
        out += legend(legendLines, top: legendTop, logY: logAxis)
        return out + "</svg>\n"
    }

    /// The usable points of a series split at gaps (NaN, infinity, <= 0 on a log axis), each run of points thinned
    /// when it is denser than two points per pixel.
    private func segments(of points: [PlotPoint], logY: Bool, xAxis: PlotAxis, plotWidth: Double) -> [[PlotPoint]] {
        var segments: [[PlotPoint]] = []
        var current: [PlotPoint] = []
        for point in points {
            if usable(point, logY: logY) {
                current.append(point)
            } else if !current.isEmpty {
                segments.append(current)
                current = []
            }
        }
        if !current.isEmpty { segments.append(current) }
        let buckets = plotWidth * 2
        return segments.map { segment in
            segment.count > Int(buckets) ? Self.thin(segment, buckets: buckets, xAxis: xAxis) : segment
        }
    }

    /// Keeps, for each run of consecutive points falling in the same bucket (a slice of the x axis), the first,
    /// lowest, highest and last point, in their original order.
    static func thin(_ points: [PlotPoint], buckets: Double, xAxis: PlotAxis) -> [PlotPoint] {
        var out: [PlotPoint] = []
        var groupStart = 0
        func flush(_ end: Int) {
            guard groupStart < end else { return }
            var lowest = groupStart
            var highest = groupStart
            for i in groupStart..<end {
                if points[i].y < points[lowest].y { lowest = i }
                if points[i].y > points[highest].y { highest = i }
            }
            for i in Set([groupStart, lowest, highest, end - 1]).sorted() { out.append(points[i]) }
        }
        var groupBucket = Int.min
        for (i, point) in points.enumerated() {
            let bucket = Int((xAxis.fraction(point.x) * buckets).rounded(.down))
            if bucket != groupBucket {
                flush(i)
                groupStart = i
                groupBucket = bucket
            }
        }
        flush(points.count)
        return out
    }

    /// Legend entries laid out in rows: (row, x offset, series).
    private func legendLayout(maxWidth: Double, logY: Bool) -> [[(x: Double, series: PlotSeries)]] {
        var rows: [[(x: Double, series: PlotSeries)]] = [[]]
        var x = 0.0
        for item in series {
            let entryWidth = 30 + 6.5 * Double(min(item.name.count, 48) + (hasData(item, logY: logY) ? 0 : 10))
            if x > 0 && x + entryWidth > maxWidth {
                rows.append([])
                x = 0
            }
            rows[rows.count - 1].append((x, item))
            x += entryWidth + 14
        }
        return rows.first?.isEmpty == true ? [] : rows
    }

    private func hasData(_ item: PlotSeries, logY: Bool) -> Bool {
        item.points.contains { usable($0, logY: logY) }
    }

    private func legend(_ rows: [[(x: Double, series: PlotSeries)]], top legendTop: Double, logY: Bool) -> String {
        var out = "<g class=\"legend\">"
        for (row, entries) in rows.enumerated() {
            let y = legendTop + Double(row) * legendRow
            for (x, item) in entries {
                let x0 = left - 40 + x
                let color = Self.color(item.colorIndex)
                let dash = Self.dash(item.colorIndex)
                let dashAttribute = dash.isEmpty ? "" : " stroke-dasharray=\"\(dash)\""
                var name = item.name
                if name.count > 48 { name = String(name.prefix(47)) + "…" }
                if !hasData(item, logY: logY) { name += logY ? " (no data > 0)" : " (no data)" }
                out += "<line x1=\"\(coord(x0))\" y1=\"\(coord(y - 4))\" x2=\"\(coord(x0 + 22))\" y2=\"\(coord(y - 4))\" "
                    + "stroke=\"\(color)\" stroke-width=\"2.5\"\(dashAttribute)/>"
                out += "<text x=\"\(coord(x0 + 28))\" y=\"\(coord(y))\" fill=\"#222\"><title>\(Self.escape(item.name))</title>"
                    + "\(Self.escape(name))</text>"
            }
        }
        return out + "</g>\n"
    }

    /// A coordinate with one decimal.
    private func coord(_ value: Double) -> String {
        let tenths = (value * 10).rounded()
        if tenths == tenths.rounded(.towardZero), abs(tenths) < 1e15 {
            let whole = Int(tenths)
            let sign = whole < 0 ? "-" : ""
            let magnitude = abs(whole)
            return magnitude % 10 == 0 ? sign + String(magnitude / 10) : sign + "\(magnitude / 10).\(magnitude % 10)"
        }
        return String(value)
    }

    /// A value for a hover title: up to 5 significant digits.
    static func value(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e9 { return String(Int(value)) }
        return String(format: "%.5g", value)
    }

    /// Text for HTML or SVG content and attribute values: & < > " ' escaped, other control characters dropped.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\n", "\t": out.unicodeScalars.append(scalar)
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F || (0xFFFE...0xFFFF).contains(scalar.value) {
                    out += "\u{FFFD}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}
