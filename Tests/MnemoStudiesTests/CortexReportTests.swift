// CortexReportTests.swift — the cortex study's tables and verdicts speak only of what was run: no value for an arm
// that did not run, no seed spread with one seed (and no verdict that needs one), a spread and a verdict with two.
import Foundation
import MnemoReport
@testable import MnemoStudies
import Testing

@Suite struct CortexReportTests {
    /// A record whose last evaluation has the stability metrics and, for a memory arm, gate mass and LTM fill.
    static func record(_ arm: String, seed: Int, val: Double, memory: Bool = true) -> CortexArmRecord {
        var values: [String: Double] = ["osc_fixed_p95": 1.05, "osc_fixed_max": 1.1, "osc_raw_p95": 1.2, "rebound_fixed": 1, "spikes": 0]
        if memory { values.merge(["gate_mass/stm": 0.3, "gate_mass/ltm": 0.2, "ltm_fill": 0.5]) { $1 } }
        return CortexArmRecord(arm: arm, summary: arm, seed: seed, learningRateFactor: 1, runDirectory: "/r/\(arm)-seed\(seed)",
                               parameters: 100, valLossFull: val, metrics: MetricsLog(records: [.init(step: 10, values: values)]),
                               tokensPerStep: 64)
    }

    @Test func oneSeedAndAMissingArm() throws {
        let records = [Self.record("A", seed: 1337, val: 2.0), Self.record("C", seed: 1337, val: 1.9),
                       Self.record("D", seed: 1337, val: 1.95, memory: false)]
        let text = CortexReport.markdown(records)
        #expect(!text.contains(/\bnan\b/) && !text.contains("for B"), "no value for the arm that was not run")
        #expect(!text.contains("spread up to") && !text.contains("issue"))
        let row = try #require(text.split(separator: "\n").first { $0.hasPrefix("| C | 1 |") })
        #expect(row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }[9] == "—", "no spread with one seed: \(row)")
        let verdicts = CortexReport.verdicts(records)
        #expect(verdicts.first == "No arm oscillates 4–5× at this scale: R p95 on the fixed batch is 1.050 for A, 1.050 for C (on the raw batch "
                + "loss 1.200 for A, 1.200 for C, the batches' own noise included); the document's premise (a baseline at ≥ 4) is not "
                + "reproduced, so its claim cannot be confirmed — C's fixed-batch R p95 is below 1.2.")
        #expect(verdicts.contains { $0.hasPrefix("Memories used by C") && $0.hasSuffix("— both.") })
        let cd = try #require(verdicts.first { $0.hasPrefix("Val loss, C against the plain transformer D") })
        #expect(cd.contains("fewer than 2 seeds") && !cd.contains("better") && !cd.contains("worse"), "\(cd)")
    }

    @Test func twoSeedsGiveASpreadAndAVerdict() throws {
        var records: [CortexArmRecord] = []
        for seed in [1337, 1338] {
            let offset = Double(seed - 1337) * 0.01
            records += [Self.record("A", seed: seed, val: 2.0), Self.record("B", seed: seed, val: 2.1),
                        Self.record("C", seed: seed, val: 1.9 + offset), Self.record("D", seed: seed, val: 1.95, memory: false)]
        }
        let verdicts = CortexReport.verdicts(records)
        #expect(verdicts.first?.contains("1.050 for A, 1.050 for B, 1.050 for C") == true)
        let cd = try #require(verdicts.first { $0.hasPrefix("Val loss, C against the plain transformer D") })
        #expect(cd.hasSuffix("seed spread up to 0.0100): the memory model is better."), "\(cd)")
        let row = try #require(CortexReport.markdown(records).split(separator: "\n").first { $0.hasPrefix("| C | 2 |") })
        #expect(row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }[9] == "0.0100")
    }
}
