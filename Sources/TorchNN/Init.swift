// Init.swift — parameter initialisers, in place and without autograd history (torch.nn.init).
import Foundation
import Torch

public enum Init {
    /// (fan_in, fan_out) of a weight as PyTorch computes them: dims 1 and 0 times the receptive field.
    public static func fans(_ t: Tensor) -> (fanIn: Int, fanOut: Int) {
        let s = t.shape
        precondition(s.count >= 2, "fan in/out need a tensor of at least 2 dimensions, got \(s)")
        let receptive = s.dropFirst(2).reduce(1, *)
        return (s[1] * receptive, s[0] * receptive)
    }

    public static func normal(_ t: Tensor, mean: Double = 0, std: Double = 1, generator: Generator? = nil) {
        t.normal_(mean: mean, std: std, generator: generator)
    }
    public static func uniform(_ t: Tensor, _ low: Double = 0, _ high: Double = 1, generator: Generator? = nil) {
        t.uniform_(low, high, generator: generator)
    }
    public static func zeros(_ t: Tensor) { withNoGrad { t.zero_() } }
    public static func ones(_ t: Tensor) { withNoGrad { t.fill_(1.0) } }
    public static func constant(_ t: Tensor, _ value: Double) { withNoGrad { t.fill_(value) } }

    /// Glorot: U(-a, a) with a = gain·sqrt(6 / (fan_in + fan_out)).
    public static func xavierUniform(_ t: Tensor, gain: Double = 1, generator: Generator? = nil) {
        let (fanIn, fanOut) = fans(t)
        let a = gain * (6.0 / Double(fanIn + fanOut)).squareRoot()
        t.uniform_(-a, a, generator: generator)
    }
    /// Glorot: N(0, std²) with std = gain·sqrt(2 / (fan_in + fan_out)).
    public static func xavierNormal(_ t: Tensor, gain: Double = 1, generator: Generator? = nil) {
        let (fanIn, fanOut) = fans(t)
        t.normal_(mean: 0, std: gain * (2.0 / Double(fanIn + fanOut)).squareRoot(), generator: generator)
    }

    public enum FanMode: Sendable { case fanIn, fanOut }

    /// Gain of leaky ReLU with negative slope `a` (a = 0: ReLU's √2).
    static func leakyReLUGain(_ a: Double) -> Double { (2.0 / (1 + a * a)).squareRoot() }

    /// He: U(-b, b) with b = gain·sqrt(3 / fan). With a = √5 this is nn.Linear's default weight init.
    public static func kaimingUniform(_ t: Tensor, a: Double = 0, mode: FanMode = .fanIn, generator: Generator? = nil) {
        let (fanIn, fanOut) = fans(t)
        let fan = Double(mode == .fanIn ? fanIn : fanOut)
        let bound = leakyReLUGain(a) * (3.0 / fan).squareRoot()
        t.uniform_(-bound, bound, generator: generator)
    }
    /// He: N(0, std²) with std = gain / sqrt(fan).
    public static func kaimingNormal(_ t: Tensor, a: Double = 0, mode: FanMode = .fanIn, generator: Generator? = nil) {
        let (fanIn, fanOut) = fans(t)
        let fan = Double(mode == .fanIn ? fanIn : fanOut)
        t.normal_(mean: 0, std: leakyReLUGain(a) / fan.squareRoot(), generator: generator)
    }
}
