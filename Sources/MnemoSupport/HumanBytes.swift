// HumanBytes.swift — a byte count in binary units for people: "1536 bytes" is "1.5 KiB".
import Foundation

/// 1536 -> "1.5 KiB"; 1000 -> "1000 bytes".
public func humanBytes(_ value: Int) -> String {
    let units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
    var amount = Double(value)
    var unit = 0
    while amount >= 1024 && unit < units.count - 1 {
        amount /= 1024
        unit += 1
    }
    return unit == 0 ? "\(value) bytes" : String(format: "%.1f", amount) + " " + units[unit]
}
