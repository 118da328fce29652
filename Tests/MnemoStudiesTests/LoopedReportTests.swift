// LoopedReportTests.swift — the looped study's verdicts follow the numbers: linear growth, a blow-up, a loss
// difference beyond the seeds' spread, and none within it; with one seed, no spread is printed or claimed.
import Foundation
import MnemoReport
@testable import MnemoStudies
import Testing

@Suite struct LoopedReportTests {
    /// A record whose last evaluation has resid_in per layer and resid_out, and a final val loss.
    static func record(_ arm: String, seed: Int, profile: [Double], out: Double, val: Double) -> LoopedArmRecord {
        var values: [String: Double] = ["val_loss": val, "resid_out": out]
        for (i, v) in profile.enumerated() { values["resid_in/\(i)"] = v }
        let metrics = MetricsLog(records: [.init(step: 100, values: values), .init(step: 100, values: ["tok_per_s": 1000])])
        return LoopedArmRecord(arm: arm, summary: arm, seed: seed, runDirectory: "/r/\(arm)", steps: 100, parameters: 10,
                               valLossFull: val, metrics: metrics)
    }

    @Test func verdictsFollowTheNumbers() {
        let linear = (0..<12).map { 0.5 + 0.5 * Double($0) }
        var records: [LoopedArmRecord] = []
        for seed in [1, 2] {
            records.append(Self.record("shared", seed: seed, profile: linear, out: 6.5, val: 2.00 + 0.002 * Double(seed)))
            records.append(Self.record("double_attn", seed: seed, profile: linear, out: 2e5, val: 3.0))
            records.append(Self.record("shared_all", seed: seed, profile: linear, out: 7, val: 2.10 + 0.002 * Double(seed)))
            records.append(Self.record("shared_exit", seed: seed, profile: linear, out: 7, val: 2.005))
        }
        let verdicts = LoopedReport.verdicts(records, allLayerCost: [AllLayerCost(vocabulary: 50_304, lastLayerMilliseconds: 10, allLayersMilliseconds: 40)])
        let growth = verdicts.first { $0.hasPrefix("Residual std growth") }
        #expect(growth?.contains("R² 1.00") == true && growth?.hasSuffix("— reproduced.") == true, "\(growth ?? "none")")
        #expect(verdicts.first { $0.hasPrefix("x·attn2") }?.hasSuffix("— reproduced.") == true)
        let all = verdicts.first { $0.hasPrefix("All-layer") }
        #expect(all?.contains("(worse)") == true && all?.contains("×4.00 per step at 50,304") == true, "\(all ?? "none")")
        let exit = verdicts.first { $0.hasPrefix("Early exit") }
        #expect(exit?.contains("equal within the seeds' spread") == true, "\(exit ?? "none")")
        let table = LoopedReport.table(records, allLayerCost: [])
        #expect(table.contains("| shared | 1 |") && table.contains("0.5 → 6.5"))
        let html = LoopedReport.html(records, allLayerCost: [])
        #expect(html.contains("<table>") && html.contains("<li>Residual std growth"))
    }

    @Test func oneSeedPrintsNoSpreadAndNothingThatWasNotMeasured() throws {
        let linear = (0..<12).map { 0.5 + 0.5 * Double($0) }
        let records = [Self.record("shared", seed: 1337, profile: linear, out: 6.5, val: 2.0),
                       Self.record("shared_all", seed: 1337, profile: linear, out: 7, val: 2.005),
                       Self.record("shared_exit", seed: 1337, profile: linear, out: 7, val: 2.005)]   // its exit evaluation not run
        let table = LoopedReport.table(records, allLayerCost: [])
        #expect(!table.contains(/\bnan\b/) && !table.contains("seeds' spread"), "\(table)")
        let row = try #require(table.split(separator: "\n").first { $0.hasPrefix("| shared | 2.0000 |") })
        #expect(row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }[2] == "—", "no spread with one seed: \(row)")
        let exit = try #require(LoopedReport.verdicts(records, allLayerCost: []).first { $0.hasPrefix("Early exit") })
        #expect(exit.contains("equal within ±0.010 (an arm with one seed has no seed spread to judge by)") && !exit.contains("at evaluation"),
                "\(exit)")
    }
}
