// Profiler.swift — libtorch's Kineto profiler (torch.profiler.profile): records every ATen op and autograd node the
// process runs between `start` and `stop`, and saves a Chrome trace (chrome://tracing, Perfetto, TensorBoard).
import CTorch

public enum Profiler {
    /// Starts recording (CPU ops, and CUDA kernels where CUDA is present). Throws if it already records.
    public static func start() throws {
        guard mt_profiler_start() == MT_OK else { throw TorchError("profiler: " + lastErrorMessage()) }
    }

    /// Stops recording and writes the Chrome trace to `tracePath` (nil: discards it).
    public static func stop(writingTo tracePath: String?) throws {
        let status = tracePath.map { mt_profiler_stop($0) } ?? mt_profiler_stop(nil)
        guard status == MT_OK else { throw TorchError("profiler: " + lastErrorMessage()) }
    }
}
