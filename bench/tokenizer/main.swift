// mnemo-bench-tokenizer — GPT-2 encoding throughput of MnemoData's tokenizer, one thread and several.
// bench/bench_tokenizer.py measures tiktoken the same way; bench/run_bench_tokenizer.sh runs both and prints ratios.
//
// Usage: mnemo-bench-tokenizer [--gpt2 DIR] [--repeat N] [--threads N] [--runs N] FILE
//   --repeat N   encode the file's text repeated N times (a bigger input; default 10)
//   --threads N  threads for the parallel run (default: all cores)
//   --runs N     timed runs; the best is printed (default 5)
// Output: one `name value` line per measurement (tokens, MB/s = 10^6 UTF-8 bytes per second, best run).
import Dispatch
import Foundation
import MnemoData

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("error: \(message)\n".utf8))
    exit(2)
}

var gpt2Folder: String?
var repeats = 10
var threads = defaultEncodingThreads
var runs = 5
var file: String?
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    func value() -> String {
        guard let next = arguments.popFirst() else { fail("\(argument) needs a value") }
        return next
    }
    func integer() -> Int {
        guard let number = Int(value()), number > 0 else { fail("\(argument) needs a positive integer") }
        return number
    }
    switch argument {
    case "--gpt2": gpt2Folder = value()
    case "--repeat": repeats = integer()
    case "--threads": threads = integer()
    case "--runs": runs = integer()
    case "-h", "--help":
        print("usage: mnemo-bench-tokenizer [--gpt2 DIR] [--repeat N] [--threads N] [--runs N] FILE")
        exit(0)
    default:
        if argument.hasPrefix("-") { fail("unknown option \(argument)") }
        file = argument
    }
}
guard let file else { fail("give the text file to encode (e.g. ../shared/data/tinyshakespeare.txt)") }
let folder = gpt2Folder ?? (URL(fileURLWithPath: file).deletingLastPathComponent().path + "/gpt2")

func seconds(_ body: () -> Void) -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

do {
    let loadStart = DispatchTime.now().uptimeNanoseconds
    let gpt2 = try GPT2Tokenizer(directory: folder)
    let load = Double(DispatchTime.now().uptimeNanoseconds - loadStart) / 1e9
    guard let contents = try? String(contentsOfFile: file, encoding: .utf8) else { fail("\(file): cannot read it as UTF-8 text") }
    let text = String(repeating: contents, count: repeats)
    let megabytes = Double(text.utf8.count) / 1e6

    var single: [Int] = []
    let singleTime = (0..<runs).map { _ in seconds { single = gpt2.encode(text) } }.min()!
    var multi: [Int] = []
    let multiTime = (0..<runs).map { _ in seconds { multi = gpt2.encodeConcurrently(text, allowedSpecial: .none, threads: threads) } }.min()!
    guard multi == single else { fail("the parallel ids differ from the single-thread ids") }

    print("bytes \(text.utf8.count)")
    print("tokens \(single.count)")
    print(String(format: "load_s %.3f", load))
    print(String(format: "single_mb_s %.2f", megabytes / singleTime))
    print(String(format: "multi_mb_s %.2f", megabytes / multiTime))
    print("threads \(threads)")
} catch {
    fail("\(error)")
}
