// Device.swift — where a tensor lives: the CPU or a CUDA device.
import CTorch

public enum Device: Sendable, Hashable, CustomStringConvertible {
    case cpu
    case cuda(Int)

    public static let gpu = Device.cuda(0)

    /// `.cuda(0)` when a CUDA libtorch and a GPU are present, else `.cpu`.
    public static var best: Device { Runtime.cudaIsAvailable ? .cuda(0) : .cpu }

    var raw: mt_device {
        switch self {
        case .cpu: mt_device(type: MT_CPU, index: 0)
        case .cuda(let i): mt_device(type: MT_CUDA, index: Int32(i))
        }
    }

    init(raw: mt_device) {
        self = raw.type == MT_CUDA ? .cuda(Int(raw.index)) : .cpu
    }

    /// Parses "cpu", "cuda", "cuda:1".
    public init?(_ text: String) {
        if text == "cpu" { self = .cpu; return }
        if text == "cuda" { self = .cuda(0); return }
        if text.hasPrefix("cuda:"), let i = Int(text.dropFirst(5)) { self = .cuda(i); return }
        return nil
    }

    public var description: String {
        switch self {
        case .cpu: "cpu"
        case .cuda(let i): "cuda:\(i)"
        }
    }
}
