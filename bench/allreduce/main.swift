// mnemo-bench-allreduce — all-reduce latency and bandwidth between ranks through Mnemo's ProcessGroup (libtorch's
// c10d Gloo), one line per size on rank 0: `allreduce BYTES US_PER_CALL GB_PER_S`. GB/s is the algorithm
// bandwidth (bytes of the tensor / time), as nccl-tests' algbw. Started like any rank:
//   torchrun --standalone --nproc_per_node=2 --no-python .build/release/mnemo-bench-allreduce
// bench/allreduce_pytorch.py measures torch.distributed.all_reduce the same way; bench/bench_allreduce.sh alternates.
import Foundation
import Torch

let sizes = (0..<9).map { 1024 << (2 * $0) }          // 1 KB, 4 KB, … 64 MB
do {
    guard let group = try ProcessGroup.fromEnvironment() else {
        FileHandle.standardError.write(Data("mnemo-bench-allreduce: start it with torchrun (WORLD_SIZE > 1)\n".utf8))
        exit(2)
    }
    for bytes in sizes {
        let tensor = Tensor.ones([bytes / 4], dtype: .float32)
        let iterations = max(5, min(200, (256 << 20) / bytes))
        for _ in 0..<3 { try group.allReduceSum(tensor) }             // warm-up
        try group.barrier()
        let start = Date()
        for _ in 0..<iterations { try group.allReduceSum(tensor) }
        try group.barrier()
        let seconds = Date().timeIntervalSince(start) / Double(iterations)
        if group.rank == 0 {
            print(String(format: "allreduce %d %.1f %.3f", bytes, seconds * 1e6, Double(bytes) / seconds / 1e9))
        }
    }
} catch {
    FileHandle.standardError.write(Data("mnemo-bench-allreduce: \(error)\n".utf8))
    exit(1)
}
