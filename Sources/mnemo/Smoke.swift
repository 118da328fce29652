// Smoke.swift — `mnemo smoke`: a few seconds' proof that libtorch trains here: a small MLP on a generated task
// (three interleaved spirals), its loss falling. Needs no data files. (`mnemo demo` is Mnemo's main job.)
import ArgumentParser
import Foundation
import Torch
import TorchNN
import TorchOptim

struct Smoke: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "A few seconds' check that libtorch trains: a small MLP on generated spirals, its loss falling (no data needed).")

    @Option(help: "Training steps.") var steps = 600
    @Option(help: "Random seed.") var seed: UInt64 = 1337

    final class MLP: Module, UnaryLayer {
        let fc1 = Linear(2, 64)
        let fc2 = Linear(64, 64)
        let head = Linear(64, 3)
        func callAsFunction(_ x: Tensor) -> Tensor {  // (N, 2) → (N, 3) logits
            head(fc2(fc1(x).gelu()).gelu())
        }
    }

    /// Three spiral arms of `perClass` noisy points each: (points (N, 2), labels (N)).
    static func spirals(perClass: Int, generator: Generator) -> (Tensor, Tensor) {
        let r = Tensor.linspace(0.05, 1, steps: perClass).repeated([3])                       // (N)
        let labels = Tensor.arange(3).unsqueeze(1).expand([3, perClass]).reshape([-1])       // (N)
        let noise = Tensor.randn([3 * perClass], generator: generator) * 0.15
        let theta = labels.float() * (2 * Double.pi / 3) + r * 4.5 + noise                  // (N)
        let points = stack([r * theta.cos(), r * theta.sin()], dim: 1)                    // (N, 2)
        return (points, labels)
    }

    func run() throws {
        Runtime.checkVersion()
        Random.seed(seed)
        let generator = Generator(seed: seed)
        let (x, y) = Smoke.spirals(perClass: 300, generator: generator)
        let model = MLP()
        let optimizer = AdamW(model.parameters(), lr: 1e-2, weightDecay: 1e-4)
        let schedule = WarmupCosineSchedule(lr: 1e-2, minLR: 1e-3, warmupSteps: 30, decaySteps: steps)
        print("mnemo smoke: MLP 2→64→64→3 (\(model.parameterCount) parameters) on \(x.size(0)) spiral points, libtorch \(Runtime.loadedVersion)")
        let start = Date()
        for step in 0..<steps {
            optimizer.setLearningRate(schedule(step))
            let loss = crossEntropy(model(x), y)
            optimizer.zeroGrad()
            loss.backward()
            let norm = clipGradNorm(model.parameters(), maxNorm: 1.0)
            optimizer.step()
            if step % 50 == 0 || step == steps - 1 {
                let bar = String(repeating: "#", count: Swift.max(0, Int(loss.item() * 30)))
                print(String(format: "step %4d  loss %.4f  lr %.2e  grad-norm %6.3f  %@", step, loss.item(),
                             schedule(step), norm, bar))
            }
        }
        let accuracy = withNoGrad { (model(x).argmax(dim: 1) .== y).float().mean().item() }
        print(String(format: "train accuracy %.1f%% after %d steps in %.1f s", accuracy * 100, steps,
                     Date().timeIntervalSince(start)))
    }
}
