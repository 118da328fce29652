// DurationText.swift — seconds as the progress lines write them: "4m05s", "2h03m"; "?" when not finite.
import Foundation

/// 245 -> "4m05s"; 7384 -> "2h03m".
public func formatDuration(_ seconds: Double) -> String {
    guard seconds.isFinite else { return "?" }
    let s = Int(seconds.rounded())
    return s >= 3600 ? String(format: "%dh%02dm", s / 3600, s % 3600 / 60) : String(format: "%dm%02ds", s / 60, s % 60)
}
