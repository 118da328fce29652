// Autograd.swift — gradients through libtorch's autograd engine.
import CTorch

extension Tensor {
    /// Whether operations on this tensor are recorded for differentiation.
    public var requiresGrad: Bool {
        get { checked(mt_requires_grad(handle), "requiresGrad") }
        set { check(mt_set_requires_grad(handle, newValue), "requiresGrad") }
    }
    /// Sets requiresGrad and returns self, for chaining: `Tensor.randn([3]).requiringGrad()`.
    @discardableResult
    public func requiringGrad(_ on: Bool = true) -> Tensor {
        requiresGrad = on
        return self
    }

    /// The accumulated gradient (nil until a backward pass reaches this leaf). Setting it replaces it;
    /// gradients may also be edited in place (`p.grad!.mul_(...)`) before an optimizer step.
    public var grad: Tensor? {
        get { mt_grad(handle).map(Tensor.init(handle:)) }
        set { check(mt_set_grad(handle, newValue?.handle), "set grad") }
    }

    public var isLeaf: Bool { checked(mt_is_leaf(handle), "isLeaf") }

    /// The name of the autograd node that made this tensor (PyTorch's `grad_fn.name()`, e.g. "MmBackward0"); nil for
    /// a leaf or a tensor made without gradients.
    public var gradFunctionName: String? {
        guard let name = mt_grad_fn_name(handle) else {
            fail("gradFunctionName")
            return nil
        }
        return name.pointee == 0 ? nil : String(cString: name)
    }

    /// Makes self hold `source`'s data (storage, dtype, device) while staying the same tensor object —
    /// what Module.to(device) needs so that optimizers and views keep pointing at it.
    public func setData(_ source: Tensor) { check(mt_set_data(handle, source.handle), "setData") }

    /// Back-propagates from this tensor. `gradient` is required unless self has one element.
    public func backward(_ gradient: Tensor? = nil, retainGraph: Bool = false) {
        check(mt_backward(handle, gradient?.handle, retainGraph), "backward")
    }

    /// The same values cut off from the graph (shares storage).
    public func detached() -> Tensor { wrap(mt_detach(handle), "detached") }

    /// Registers `hook`, called with this tensor's gradient during backward; a non-nil result replaces it.
    public func registerHook(_ hook: @escaping (Tensor) -> Tensor?) {
        let box = Unmanaged.passRetained(HookBox(hook)).toOpaque()
        check(mt_register_hook(handle, { context, grad in
            let hook = Unmanaged<HookBox>.fromOpaque(context!).takeUnretainedValue().hook
            let input = Tensor(handle: mt_shallow_clone(grad)!)
            guard let result = hook(input) else { return nil }
            return mt_shallow_clone(result.handle)
        }, box, { context in
            Unmanaged<HookBox>.fromOpaque(context!).release()
        }), "registerHook")
    }
}

private final class HookBox {
    let hook: (Tensor) -> Tensor?
    init(_ hook: @escaping (Tensor) -> Tensor?) { self.hook = hook }
}

/// Whether autograd records operations on this thread.
public var isGradEnabled: Bool { mt_grad_enabled() }

/// Runs `body` without recording autograd history (torch.no_grad()). Grad mode is per thread.
public func withNoGrad<R>(_ body: () throws -> R) rethrows -> R {
    try withGradEnabled(false, body)
}

/// Runs `body` with grad mode set to `enabled`, restoring the previous mode afterwards.
public func withGradEnabled<R>(_ enabled: Bool, _ body: () throws -> R) rethrows -> R {
    let previous = mt_grad_enabled()
    mt_set_grad_enabled(enabled)
    defer { mt_set_grad_enabled(previous) }
    return try body()
}

/// Runs `body` under autocast (torch.autocast): matmuls and other autocast-listed ops compute in `dtype`
/// (bfloat16 by default), precision-sensitive ones stay in float32. Per thread, like grad mode.
public func withAutocast<R>(device: Device = .cpu, dtype: DType = .bfloat16, enabled: Bool = true,
                            _ body: () throws -> R) rethrows -> R {
    let type = device.raw.type
    let previous = mt_autocast_enabled(type)
    mt_set_autocast(type, enabled, dtype.raw)
    defer {
        mt_set_autocast(type, previous, dtype.raw)
        if !previous { mt_autocast_clear_cache() }
    }
    return try body()
}
