// Distributed.swift — data-parallel collectives through libtorch's own c10d: the TCPStore rendezvous and
// ProcessGroupGloo (CPU), exactly what PyTorch's init_process_group("gloo", "env://") builds. Started by torchrun
// (`torchrun --standalone --nproc_per_node=2 --no-python mnemo train …`), Slurm or any launcher that sets the
// standard variables; `ProcessGroup.fromEnvironment()` reads them.
//
// Every collective throws instead of trapping (a dead peer is an error to report, not a crash), and every wait is
// bounded by the group's timeout, so a rank that dies makes the others stop with a message that names their rank.
// Lists of tensors travel in few calls: they are flattened into buckets (contiguous buffers of one dtype, ≤ 25 MB,
// as DDP's buckets) and each bucket is one all-reduce or broadcast.
import CTorch
import Foundation

public final class ProcessGroup: @unchecked Sendable {
    let handle: OpaquePointer
    public let rank: Int
    public let worldSize: Int
    /// Seconds any wait may take before it fails.
    public let timeout: Double

    /// Whether this build has c10d's Gloo process group (it needs gloo's headers at build time).
    public static var isAvailable: Bool { mt_dist_gloo_available() }

    /// Joins the group: connects to the TCPStore at host:port (hosting it when `hostsStore`), then the Gloo group's
    /// own rendezvous under `prefix`. Blocks until all `worldSize` ranks arrive or `timeout` passes.
    public init(host: String, port: Int, rank: Int, worldSize: Int, hostsStore: Bool, prefix: String = "default_pg",
                timeout: Double = 1800) throws {
        guard let handle = mt_dist_init(host, Int32(port), Int32(rank), Int32(worldSize), hostsStore, prefix, timeout) else {
            throw TorchError("rank \(rank) of \(worldSize): cannot join the process group at \(host):\(port): \(lastErrorMessage())")
        }
        self.handle = handle
        self.rank = rank
        self.worldSize = worldSize
        self.timeout = timeout
    }

    deinit { mt_dist_free(handle) }

    /// The launch the environment describes (torchrun, Slurm's srun with the same variables, or by hand), or nil
    /// when WORLD_SIZE is unset or 1. RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT as PyTorch's env:// reads them;
    /// TORCHELASTIC_USE_AGENT_STORE=True (torchrun): the agent hosts the store and every rank is a client, under
    /// torchrun's key prefix; otherwise rank 0 hosts it. MNEMO_DIST_TIMEOUT (seconds) bounds every wait.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment,
                                       defaultTimeout: Double = 1800) throws -> ProcessGroup? {
        func integer(_ key: String) throws -> Int? {
            guard let text = environment[key] else { return nil }
            guard let value = Int(text) else { throw TorchError("\(key)=\(text) is not an integer") }
            return value
        }
        guard let world = try integer("WORLD_SIZE"), world > 1 else { return nil }
        guard let rank = try integer("RANK") else { throw TorchError("WORLD_SIZE=\(world) but RANK is not set; start the ranks with torchrun or set RANK for each") }
        guard let host = environment["MASTER_ADDR"], let port = try integer("MASTER_PORT") else {
            throw TorchError("WORLD_SIZE=\(world) but MASTER_ADDR / MASTER_PORT are not set (the rendezvous address)")
        }
        let timeout = try environment["MNEMO_DIST_TIMEOUT"].map { text -> Double in
            guard let value = Double(text), value > 0 else { throw TorchError("MNEMO_DIST_TIMEOUT=\(text) is not a positive number of seconds") }
            return value
        } ?? defaultTimeout
        let agentStore = environment["TORCHELASTIC_USE_AGENT_STORE"]?.lowercased() == "true"
        let prefix = agentStore ? "/worker/attempt_\(environment["TORCHELASTIC_RESTART_COUNT"] ?? "0")/default_pg" : "default_pg"
        return try ProcessGroup(host: host, port: port, rank: rank, worldSize: world, hostsStore: !agentStore && rank == 0,
                                prefix: prefix, timeout: timeout)
    }

    private func check(_ status: mt_status, _ what: String) throws {
        guard status == MT_OK else {
            throw TorchError("rank \(rank) of \(worldSize): \(what) failed (a peer stopped, or waited past \(Int(timeout)) s): \(lastErrorMessage())")
        }
    }

    /// In place: every rank's `tensor` becomes the sum over ranks. CPU, dense.
    public func allReduceSum(_ tensor: Tensor) throws { try check(mt_dist_allreduce_sum_(handle, tensor.handle), "all-reduce") }

    /// In place: every rank's `tensor` becomes rank `root`'s.
    public func broadcast(_ tensor: Tensor, root: Int = 0) throws { try check(mt_dist_broadcast_(handle, tensor.handle, Int32(root)), "broadcast") }

    /// Waits until every rank arrives.
    public func barrier() throws { try check(mt_dist_barrier(handle), "barrier") }

    /// In place: each tensor becomes its mean over ranks, in one all-reduce per bucket.
    public func allReduceMean(_ tensors: [Tensor], bucketBytes: Int = 25 << 20) throws {
        try forEachBucket(tensors, bucketBytes: bucketBytes) { flat in
            try allReduceSum(flat)
            withNoGrad { flat /= Double(worldSize) }
        }
    }

    /// In place: each tensor becomes rank `root`'s, in one broadcast per bucket.
    public func broadcast(_ tensors: [Tensor], root: Int = 0, bucketBytes: Int = 25 << 20) throws {
        try forEachBucket(tensors, bucketBytes: bucketBytes) { try broadcast($0, root: root) }
    }

    /// Flattens runs of same-dtype tensors into contiguous buffers of at most `bucketBytes` (a larger tensor is a
    /// bucket of its own, reduced in place when contiguous), runs `body` on each, and copies the results back.
    private func forEachBucket(_ tensors: [Tensor], bucketBytes: Int, _ body: (Tensor) throws -> Void) throws {
        var start = 0
        while start < tensors.count {
            var end = start + 1, bytes = tensors[start].count * tensors[start].dtype.itemSize
            while end < tensors.count, tensors[end].dtype == tensors[start].dtype,
                  bytes + tensors[end].count * tensors[end].dtype.itemSize <= bucketBytes {
                bytes += tensors[end].count * tensors[end].dtype.itemSize
                end += 1
            }
            let group = Array(tensors[start..<end])
            if group.count == 1 && group[0].isContiguous {
                try body(group[0])          // a bucket of one contiguous tensor: in place, no copy out and back
                start = end
                continue
            }
            // outside autograd: the tensors are parameters and gradients, updated in place
            let flat = withNoGrad { cat(group.map { $0.reshape(-1) }, dim: 0) }
            try body(flat)
            withNoGrad {
                var offset = 0
                for t in group {
                    t.copy_(flat.narrow(dim: 0, start: offset, length: t.count).view(t.shape))
                    offset += t.count
                }
            }
            start = end
        }
    }
}
