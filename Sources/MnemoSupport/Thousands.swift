// Thousands.swift — an integer with a comma every three digits ("1,003,854"): the one spelling of counts in
// Mnemo's messages, logs and reports. The same text whatever the locale (Foundation's `formatted()` follows the
// locale, so a log would read differently on another machine).

/// 1234567 -> "1,234,567"; -999 -> "-999".
public func groupedThousands(_ value: some BinaryInteger) -> String {
    let digits = String(value.magnitude)
    var out = ""
    out.reserveCapacity(digits.count + digits.count / 3 + 1)
    for (i, digit) in digits.enumerated() {
        if i > 0 && (digits.count - i) % 3 == 0 { out += "," }
        out.append(digit)
    }
    return value < 0 ? "-" + out : out
}
