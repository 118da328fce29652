// GrokReportTests.swift — the grokking study's report from plain arm records: the first step reaching each accuracy
// threshold, the terminal table and the HTML page. No libtorch: the records are built in memory.
import Foundation
import MnemoReport
@testable import MnemoStudies
import Testing

@Suite struct GrokReportTests {
    /// An arm as the study's tiny test arm: 6 steps, evaluated every 2, 40% of the pairs.
    static func record(_ name: String, expectation: String = "", accuracies: [Double]) -> StudyArmRecord {
        let metrics = MetricsLog(records: accuracies.enumerated().map { i, acc in
            MetricsLog.Record(step: 2 * i, values: ["test_acc": acc, "train_acc": 1, "sc_fraction": 0.5,
                                                    "median_margin": 17, "elapsed_s": Double(i + 1)])
        })
        return StudyArmRecord(name: name, group: "T", summary: "tiny", expectation: expectation, steps: 6,
                              trainFraction: 0.4, evalEvery: 2, metrics: metrics)
    }

    @Test func thresholdsTableAndReport() throws {
        let results = [Self.record("reaches", expectation: "≥ 99% by ~4", accuracies: [0.1, 0.96, 0.995, 1.0]),
                       Self.record("stalls", accuracies: [0.1, 0.2, 0.3, 0.3])]
        #expect(results[0].firstStep(testAccuracy: 0.95) == 2)
        #expect(results[0].firstStep(testAccuracy: 0.99) == 4)
        #expect(results[0].firstStep(testAccuracy: 1.0) == 6)
        #expect(results[1].firstStep(testAccuracy: 0.95) == nil)
        #expect(results[0].value("test_acc", near: 3) == 0.96)  // ties go to the earlier step

        let table = GrokReport.table(results)
        #expect(table.contains("never"))
        #expect(table.split(separator: "\n").count == 4)
        let html = GrokReport.html(results, suite: "demo", wallSeconds: 12)
        #expect(html.contains("<svg") && html.contains("never") && html.contains("≥ 99% by ~4"))
        #expect(html.components(separatedBy: "<figure>").count - 1 == 4)  // test_acc, train_acc, SC, margin
    }
}
