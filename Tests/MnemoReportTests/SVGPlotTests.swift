// SVG charts: 1-2-5 ticks, log ticks, tick labels, and rendering that survives NaN, single points, constant and
// empty series, and very long series.

import Foundation
import Testing
@testable import MnemoReport

@Suite("SVG plots")
struct SVGPlotTests {
    @Test("nice steps are 1, 2 or 5 times a power of ten", arguments: [
        (0.2, 0.2), (0.3, 0.5), (7.0, 10.0), (1.0, 1.0), (0.0011, 0.002), (450.0, 500.0), (2e-5, 2e-5), (1234.0, 2000.0),
    ])
    func niceStep(raw: Double, expected: Double) {
        #expect(abs(PlotAxis.niceStep(raw) - expected) <= expected * 1e-12)
    }

    @Test("linear ticks cover the data, widened to whole steps")
    func linearTicks() {
        let steps = PlotAxis.linear(0, 3000, target: 7)
        #expect(steps.ticks == [0, 500, 1000, 1500, 2000, 2500, 3000])
        #expect(steps.lower == 0 && steps.upper == 3000)

        let loss = PlotAxis.linear(2.61, 11.4)
        #expect(loss.step == 2)
        #expect(loss.ticks == [2, 4, 6, 8, 10, 12])

        let narrow = PlotAxis.linear(3.21, 3.38)
        #expect(narrow.lower <= 3.21 && narrow.upper >= 3.38)
        #expect((4...8).contains(narrow.ticks.count))
        #expect(narrow.ticks.map(narrow.label) == ["3.20", "3.25", "3.30", "3.35", "3.40"])

        let constant = PlotAxis.linear(5, 5)
        #expect(constant.lower < 5 && constant.upper > 5 && constant.ticks.contains(5))
        let zero = PlotAxis.linear(0, 0)
        #expect(zero.lower < 0 && zero.upper > 0 && zero.ticks.contains(0))

        let negative = PlotAxis.linear(-0.3, 0.1)
        #expect(negative.ticks.map(negative.label) == ["-0.3", "-0.2", "-0.1", "0", "0.1"])
    }

    @Test("tick labels", arguments: [
        (0.0003, 0.0001, "0.0003"), (1.5e-4, 5e-5, "1.5e-4"), (3e-5, 1e-5, "3e-5"), (0.0105, 0.0005, "0.0105"), (2.5, 0.5, "2.5"), (3.0, 0.5, "3.0"), (20000.0, 5000.0, "20k"),
        (1_500_000.0, 500_000.0, "1.5M"), (0.30000000000000004, 0.1, "0.3"), (-0.0, 1.0, "0"), (1e-17, 0.1, "0"),
        (51200.0, 200.0, "51200"), (9.99999e-5, 1e-5, "1e-4"), (6e-4, 2e-4, "0.0006"), (0.002, 0.001, "0.002"),
    ])
    func labels(value: Double, step: Double, expected: String) {
        #expect(PlotAxis.label(value, step: step) == expected)
    }

    @Test("log ticks: decades, then 1-2-5, then 1..9, then linear inside the range")
    func logTicks() {
        let wide = PlotAxis.log(1e-5, 0.1)
        #expect(wide.isLog)
        #expect(wide.ticks.count >= 4)
        for tick in wide.ticks {
            let exponent = log10(tick)
            #expect(abs(exponent - exponent.rounded()) < 1e-9, "\(tick) is not a power of ten")
        }
        #expect(wide.ticks.map(wide.label) == ["1e-5", "1e-4", "1e-3", "1e-2", "1e-1"])
        let speeds = PlotAxis.log(2e3, 3e6)
        #expect(speeds.ticks.map(speeds.label) == ["10k", "100k", "1M"])

        let gradients = PlotAxis.log(0.4, 6.3)
        #expect(gradients.ticks.count == 4)
        #expect(gradients.ticks.map(gradients.label) == ["0.5", "1", "2", "5"])

        let narrow = PlotAxis.log(3.1, 3.9)
        #expect(narrow.ticks.count >= 2)
        #expect(narrow.ticks.allSatisfy { $0 >= narrow.lower && $0 <= narrow.upper })
        #expect(narrow.lower <= 3.1 && narrow.upper >= 3.9)

        let constant = PlotAxis.log(2, 2)
        #expect(constant.lower < 2 && constant.upper > 2)
    }

    private func plot(_ series: [PlotSeries], logY: Bool = false) -> String {
        SVGPlot(title: "t", yLabel: "y", series: series, logY: logY, id: "p").svg()
    }

    private func points(_ ys: [Double]) -> [PlotPoint] {
        ys.enumerated().map { PlotPoint(x: Double($0.offset * 10), y: $0.element) }
    }

    @Test("NaN, infinities, single points, constant and empty series render without NaN in the SVG")
    func robustRendering() {
        let cases: [[PlotSeries]] = [
            [PlotSeries(name: "gaps", points: points([1, .nan, 2, 3, .infinity, 4, .nan]), colorIndex: 0)],
            [PlotSeries(name: "one", points: points([2.5]), colorIndex: 1)],
            [PlotSeries(name: "flat", points: points([7, 7, 7, 7]), colorIndex: 2)],
            [PlotSeries(name: "empty", points: [], colorIndex: 3)],
            [PlotSeries(name: "all nan", points: points([.nan, .nan]), colorIndex: 4)],
            [PlotSeries(name: "a", points: points([1, 2]), colorIndex: 0),
             PlotSeries(name: "b", points: [], colorIndex: 1)],
        ]
        for series in cases {
            for logY in [false, true] {
                let svg = plot(series, logY: logY)
                #expect(svg.hasPrefix("<svg "))
                #expect(svg.hasSuffix("</svg>\n"))
                #expect(!svg.lowercased().contains("nan") || series[0].name.contains("nan"), "\(series[0].name)")
                #expect(!svg.contains("inf\""), "\(series[0].name)")
            }
        }
        // A lone point between gaps is a dot; the gaps split the line into separate sub-paths.
        let gaps = plot([PlotSeries(name: "gaps", points: points([1, .nan, 2, 3, .nan, 4]), colorIndex: 0)])
        #expect(gaps.components(separatedBy: "<circle").count - 1 == 4)  // short series: every point marked
        let path = gaps.components(separatedBy: "<path d=\"")[1].prefix { $0 != "\"" }
        #expect(path.filter { $0 == "M" }.count == 1)  // only 2–3 is a line; 1 and 4 are lone dots
        #expect(plot([PlotSeries(name: "empty", points: [], colorIndex: 0)]).contains("no data"))
    }

    @Test("log axis drops values <= 0; all non-positive falls back to linear")
    func logWithNonPositive() {
        let svg = plot([PlotSeries(name: "lr", points: points([0, 1e-4, 3e-4, 6e-4]), colorIndex: 0)], logY: true)
        #expect(svg.contains("(log scale)"))
        let linear = plot([PlotSeries(name: "z", points: points([0, -1, 0]), colorIndex: 0)], logY: true)
        #expect(!linear.contains("(log scale)"))
        #expect(!linear.contains("no data"))
    }

    @Test("long series are thinned to about four points per bucket, keeping the extremes")
    func thinning() {
        var ys = (0..<100_000).map { 3 + sin(Double($0) / 50) }
        ys[54_321] = 40  // a spike must survive thinning
        let svg = plot([PlotSeries(name: "long", points: points(ys), colorIndex: 0)])
        let segments = svg.components(separatedBy: "L").count
        #expect(segments < 5000)
        #expect(svg.count < 120_000)
        let axis = PlotAxis.linear(0, 999_990, target: 7)
        let thinned = SVGPlot.thin(points(ys), buckets: 1000, xAxis: axis)
        #expect(thinned.contains { $0.y == 40 })
        #expect(thinned.first == points(ys).first && thinned.last == points(ys).last)
        #expect(zip(thinned, thinned.dropFirst()).allSatisfy { $0.x < $1.x })
    }

    @Test("text is escaped; colours repeat with dashes after the palette")
    func escapingAndPalette() {
        let svg = SVGPlot(title: "<script>alert(1)</script>", yLabel: "a & b", series: [
            PlotSeries(name: "\"quoted\" <run>", points: points([1, 2]), colorIndex: 11),
        ], id: "x").svg()
        #expect(!svg.contains("<script"))
        #expect(svg.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(svg.contains("a &amp; b"))
        #expect(svg.contains("&quot;quoted&quot; &lt;run&gt;"))
        #expect(svg.contains("stroke=\"\(SVGPlot.palette[1])\" stroke-dasharray="))
        #expect(SVGPlot.escape("a\u{1}b'") == "a\u{FFFD}b&#39;")
    }
}
