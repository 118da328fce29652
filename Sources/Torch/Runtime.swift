// Runtime.swift — facts about the loaded libtorch, and the start-up check that it is the one we built for.
import CTorch

public enum Runtime {
    /// The torch version of the headers this build of Mnemo was compiled against.
    public static var compiledVersion: String { String(cString: mt_compiled_version()) }
    /// The torch version the loaded library reports ("" when it does not say).
    public static var loadedVersion: String { String(cString: mt_runtime_version()) }
    public static var buildConfiguration: String { String(cString: mt_runtime_config()) }
    public static var cudaIsAvailable: Bool { mt_cuda_is_available() }
    public static var cudaDeviceCount: Int { Int(mt_cuda_device_count()) }
    public static func cudaSynchronize() { mt_cuda_synchronize() }
    /// How the CUDA backend was found at start-up: "loaded /…/libtorch_cuda.so", "no libtorch_cuda.so in /…",
    /// or the loader's error (a CPU-only machine). One binary runs on both; `MNEMO_CUDA=0` keeps it on the CPU.
    public static var cudaBackendStatus: String { String(cString: mt_cuda_backend_status()) }

    /// The CUDA caching allocator's figures for one device (torch.cuda.memory_allocated & co.), in bytes.
    public struct CUDAMemory: Sendable {
        public var allocated: Int
        public var peakAllocated: Int
        public var reserved: Int
        public var peakReserved: Int
    }

    /// Memory figures of CUDA device `index`; throws when there is no CUDA.
    public static func cudaMemory(device index: Int = 0) throws -> CUDAMemory {
        var raw = mt_cuda_memory()
        guard mt_cuda_memory_stats(Int32(index), &raw) == MT_OK else { throw TorchError(lastErrorMessage()) }
        return CUDAMemory(allocated: Int(raw.allocated), peakAllocated: Int(raw.peak_allocated),
                          reserved: Int(raw.reserved), peakReserved: Int(raw.peak_reserved))
    }

    /// Starts the peak figures of `cudaMemory` afresh (torch.cuda.reset_peak_memory_stats).
    public static func resetCUDAPeakMemory(device index: Int = 0) throws {
        guard mt_cuda_reset_peak_memory(Int32(index)) == MT_OK else { throw TorchError(lastErrorMessage()) }
    }

    /// Whether `linear`, and causal `scaledDotProductAttention` over up to 256 positions, on float32 CPU tensors
    /// (outside autocast) run oneDNN's matmuls in functions of their own (forward and backward), instead of the BLAS
    /// (MKL) mm and the flash attention kernel libtorch calls. Same float32 arithmetic in another summation order; on
    /// AMD CPUs MKL's sgemm runs well below the chip's AVX-512 peak and oneDNN does not. Process-wide, off by default;
    /// the trainer turns it on with `cpu_matmul = "onednn"`.
    public static var oneDNNKernels: Bool {
        get { mt_cpu_onednn() }
        set { mt_set_cpu_onednn(newValue) }
    }

    /// Keeps freed memory in the process for the next tensor instead of handing it back to the kernel. libtorch's CPU
    /// allocator takes every tensor from malloc; glibc returns freed blocks at the top of the heap (and large ones, by
    /// mmap) to the kernel, so the next step's tensors are page-faulted and zeroed afresh: 4,300 page faults per
    /// shakespeare-char-cpu step, ~10 % of its time. Here blocks up to 256 MiB come from the heap and the heap is
    /// trimmed only above 1 GiB free (what jemalloc or tcmalloc give PyTorch users who preload them). Does nothing
    /// where GLIBC_TUNABLES is set (the user's own malloc settings) or off glibc.
    public static func reuseFreedMemory() { mt_reuse_freed_memory() }

    /// Intra-op threads libtorch uses (torch.get_num_threads / set_num_threads).
    public static var threads: Int {
        get {
            let n = mt_get_num_threads()
            if n < 0 { fail("threads") }
            return Int(n)
        }
        set {
            mt_set_num_threads(Int32(newValue))
            if mt_last_error() != nil { fail("threads = \(newValue)") }
        }
    }

    /// Checks that the loaded libtorch is the version the headers came from; returns a message naming
    /// LIBTORCH when they differ, nil when they agree.
    public static func versionMismatch() -> String? {
        let loaded = loadedVersion, compiled = compiledVersion
        // "2.15.0+cu132" and "2.15.0" agree: the local suffix names the build, not the API.
        let base = loaded.split(separator: "+").first.map(String.init) ?? loaded
        if base.isEmpty || base == compiled { return nil }
        return "the loaded libtorch is \(loaded) but Mnemo was built against \(compiled) headers; "
            + "rebuild after pointing LIBTORCH at one libtorch (or unset it to use the pinned one from `make setup`)"
    }

    /// Stops the program with a clear message when the versions differ (call once at start-up).
    public static func checkVersion() {
        if let message = versionMismatch() { fatalError("torch: \(message)") }
    }
}
