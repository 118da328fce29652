// Check.swift — `mnemo check [--device cuda] [--fixtures DIR]`: the PyTorch op fixtures and the device behaviour
// the trainer needs, run on one device. `swift test` cannot run where there is no Swift toolchain (a GPU
// machine with only a carried binary); this command can. Exit status 1 when anything disagrees.
import ArgumentParser
import Foundation
import Torch
import TorchChecks

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check libtorch on a device against the PyTorch reference fixtures (ops, gradients, generators, autocast).",
        discussion: """
        Every case of the op fixture files (written on the CPU by scripts/make_fixtures.py) runs on the device and is
        compared with the CPU reference at the tolerances of the Swift tests (float32 atol 1e-5, rtol 1e-4;
        float64 1e-10; integers exactly); --atol/--rtol replace them. Random streams are not compared on CUDA:
        PyTorch's CUDA generator is another algorithm (Philox) than its CPU one (mt19937).
        Example: mnemo check --device cuda --fixtures Tests/TorchTests/Fixtures
        """)

    @Option(help: "cpu, cuda or cuda:N.") var device = "cpu"
    @Option(help: "Folder of the op fixture files.") var fixtures = "Tests/TorchTests/Fixtures"
    @Option(help: "Absolute tolerance for every case (default: each case's own).") var atol: Double?
    @Option(help: "Relative tolerance for every case (default: each case's own).") var rtol: Double?

    func run() throws {
        Runtime.checkVersion()
        guard let target = Device(device) else { throw ValidationError("device '\(device)': use cpu, cuda or cuda:N") }
        print("libtorch \(Runtime.loadedVersion) (headers \(Runtime.compiledVersion)); CUDA backend: \(Runtime.cudaBackendStatus); "
              + "CUDA devices: \(Runtime.cudaDeviceCount)")
        if case .cuda(let i) = target, i >= Runtime.cudaDeviceCount {
            FileHandle.standardError.write(Data("error: device \(device) asked for, but libtorch sees \(Runtime.cudaDeviceCount) CUDA device(s)\n".utf8))
            throw ExitCode(1)
        }
        var tolerance: Tolerance? = nil
        if atol != nil || rtol != nil { tolerance = Tolerance(atol: atol ?? 0, rtol: rtol ?? 0) }

        var failed = 0
        let start = Date()
        let reports = checkOpFixtures(folder: fixtures, device: target, tolerance: tolerance)
        print("op fixtures on \(target) (\(tolerance.map { "\($0)" } ?? "each case's tolerance")):")
        for r in reports {
            let name = r.file.padding(toLength: 10, withPad: " ", startingAt: 0)
            print(String(format: "  %@ %3d/%3d cases agree, %3d outputs + %3d gradients compared, max |Δ| %.3g",
                         name, r.passed, r.cases, r.outputs, r.gradients, r.maxDifference))
            for f in r.failures { print("    FAIL \(f.name): \(f.problem)") }
            failed += r.failures.count
        }
        let cases = reports.reduce(0) { $0 + $1.cases }, agree = reports.reduce(0) { $0 + $1.passed }
        print(String(format: "  all: %d/%d cases agree (%.1f s)", agree, cases, Date().timeIntervalSince(start)))
        print("device behaviour on \(target):")
        for (check, problem) in checkDeviceBehaviour(device: target) {
            print("  \(problem == nil ? "ok  " : "FAIL") \(check)\(problem.map { ": \($0)" } ?? "")")
            if problem != nil { failed += 1 }
        }
        print(failed == 0 ? "check: all agree" : "check: \(failed) disagreement(s)")
        if failed > 0 { throw ExitCode(1) }
    }
}
