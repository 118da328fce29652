// Random.swift — seeding, generators and random tensors; the same streams as PyTorch's for the same seed.
import CTorch

/// A random number generator of its own (torch.Generator), for reproducible streams independent of the
/// global one.
public final class Generator {
    let handle: OpaquePointer
    public init(seed: UInt64, device: Device = .cpu) {
        guard let h = mt_generator_new(seed, device.raw) else { fatalError("torch: Generator: \(lastErrorMessage())") }
        handle = h
    }

    private init(handle: OpaquePointer) { self.handle = handle }

    /// The default generator of `device` (the one ops use when given none): torch.default_generator, or
    /// torch.cuda.default_generators[i].
    public static func defaultGenerator(for device: Device) -> Generator {
        guard let h = mt_default_generator(device.raw) else { fatalError("torch: default generator: \(lastErrorMessage())") }
        return Generator(handle: h)
    }

    /// The device whose random streams this generator drives; sampling ops need it on their tensors' device.
    public var device: Device { Device(raw: mt_generator_device(handle)) }
    deinit { mt_generator_free(handle) }

    public var seed: UInt64 { mt_generator_seed(handle) }
    /// The full state as a uint8 tensor (for checkpoints).
    public var state: Tensor {
        get { wrap(mt_generator_get_state(handle), "Generator.state") }
        set { check(mt_generator_set_state(handle, newValue.handle), "Generator.state =") }
    }
}

public enum Random {
    /// Seeds the default generators of the CPU and every CUDA device (torch.manual_seed).
    public static func seed(_ seed: UInt64) { mt_manual_seed(seed) }

    /// State of the default CPU generator (torch.get_rng_state / set_rng_state).
    public static var state: Tensor {
        get { wrap(mt_generator_get_state(nil), "Random.state") }
        set { check(mt_generator_set_state(nil, newValue.handle), "Random.state =") }
    }
}

extension Tensor {
    /// Standard normal samples.
    public static func randn(_ shape: [Int], dtype: DType = .float32, device: Device = .cpu,
                             generator: Generator? = nil) -> Tensor {
        let s = shape.map(Int64.init)
        return wrap(mt_randn(s, Int64(s.count), dtype.raw, device.raw, generator?.handle), "randn(\(shape))")
    }
    /// Uniform samples in [0, 1).
    public static func rand(_ shape: [Int], dtype: DType = .float32, device: Device = .cpu,
                            generator: Generator? = nil) -> Tensor {
        let s = shape.map(Int64.init)
        return wrap(mt_rand(s, Int64(s.count), dtype.raw, device.raw, generator?.handle), "rand(\(shape))")
    }
    /// Integers uniform in [low, high).
    public static func randint(_ low: Int, _ high: Int, _ shape: [Int], dtype: DType = .int64, device: Device = .cpu,
                               generator: Generator? = nil) -> Tensor {
        let s = shape.map(Int64.init)
        return wrap(mt_randint(Int64(low), Int64(high), s, Int64(s.count), dtype.raw, device.raw, generator?.handle),
                    "randint(\(low), \(high), \(shape))")
    }
    /// A random permutation of 0..<n.
    public static func randperm(_ n: Int, dtype: DType = .int64, device: Device = .cpu, generator: Generator? = nil) -> Tensor {
        wrap(mt_randperm(Int64(n), dtype.raw, device.raw, generator?.handle), "randperm(\(n))")
    }

    /// Fills self in place with N(mean, std²) samples (no autograd record).
    public func normal_(mean: Double = 0, std: Double = 1, generator: Generator? = nil) {
        check(mt_normal_(handle, mean, std, generator?.handle), "normal_")
    }
    /// Fills self in place with U(low, high) samples (no autograd record).
    public func uniform_(_ low: Double = 0, _ high: Double = 1, generator: Generator? = nil) {
        check(mt_uniform_(handle, low, high, generator?.handle), "uniform_")
    }
    /// Draws `count` category indices per row from (unnormalised) probabilities.
    public func multinomial(_ count: Int, replacement: Bool = false, generator: Generator? = nil) -> Tensor {
        wrap(mt_multinomial(handle, Int64(count), replacement, generator?.handle), "multinomial")
    }
}
