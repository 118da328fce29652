// DeviceCheckTests.swift — what `mnemo check --device D` runs, run here on the CPU: every op table over the
// fixture folder, and the device behaviour the trainer needs (device generators, checkpointable streams,
// autocast). On a GPU machine the same code runs with D = cuda (scripts/gpu_check.sh).
import Foundation
import Testing
@testable import Torch
import TorchChecks

@Suite struct DeviceCheckTests {
    static var folder: String {
        Bundle.module.url(forResource: "unary", withExtension: "safetensors", subdirectory: "Fixtures")!
            .deletingLastPathComponent().path
    }

    @Test func everyOpFixtureAgreesOnTheCPU() {
        let reports = checkOpFixtures(folder: Self.folder, device: .cpu)
        #expect(reports.map(\.file) == OpFixtures.all.map(\.file))
        for (report, table) in zip(reports, OpFixtures.all) {
            #expect(report.cases == table.ops.count, "\(report.file): \(report.cases) cases run of \(table.ops.count)")
            #expect(report.passed == report.cases, "\(report.file): \(report.failures.map { "\($0.name): \($0.problem)" })")
            #expect(report.outputs >= report.cases)
        }
        #expect(reports.reduce(0) { $0 + $1.cases } == 164)
    }

    @Test func aWrongExpressionOrAMissingFileIsReported() {
        var ops = OpFixtures.unary.ops
        ops["exp"] = { [$0[0].exp() * 1.001] }
        let broken = OpFixtureTable(file: "unary", ops: ops)
        let report = checkOpFixtures(folder: Self.folder, device: .cpu, tables: [broken])[0]
        #expect(report.passed == report.cases - 1)
        #expect(report.failures.map(\.name) == ["exp"])
        let missing = checkOpFixtures(folder: "/nonexistent", device: .cpu, tables: [OpFixtures.unary])[0]
        #expect(missing.failures.count == 1 && missing.cases == 0)
    }

    @Test func deviceBehaviourHoldsOnTheCPU() {
        let results = checkDeviceBehaviour(device: .cpu)
        #expect(results.count >= 4)
        for (check, problem) in results { #expect(problem == nil, "\(check): \(problem ?? "")") }
    }

    @Test func generatorsKnowTheirDevice() {
        #expect(Generator(seed: 1).device == .cpu)
        #expect(Generator(seed: 1, device: .cpu).device == .cpu)
        let global = Generator.defaultGenerator(for: .cpu)
        #expect(global.device == .cpu)
        // The default generator's handle is the global stream: its state is Random.state.
        let saved = Random.state
        let a = Tensor.rand([8]).toArray(Float.self)
        global.state = saved
        let b = Tensor.rand([8]).toArray(Float.self)
        #expect(a == b)
    }

    @Test func cudaFiguresFailClearlyWithoutCUDA() throws {
        try #require(!Runtime.cudaIsAvailable)
        #expect(throws: TorchError.self) { try Runtime.cudaMemory() }
        #expect(!Runtime.cudaBackendStatus.isEmpty && Runtime.cudaBackendStatus != "not tried")
    }
}
