// StopText.swift — OpenAI's `stop`: the completion ends where one of the stop strings first appears in its text, and
// the stop string is not part of it. Text is checked, not tokens (a stop string may be spelt by different tokens
// than its own encoding). While streaming, the end of the text that could still grow into a stop string is held back
// until the next piece shows whether it does, so a client never receives text that a stop later removes.
import Foundation
public struct StopText: Sendable {
    public let stops: [String]
    /// All the text so far, and how many of its characters were released.
    private var text = ""
    private var released = 0

    public init(_ stops: [String]) { self.stops = stops }

    /// Adds a piece of text. Returns the text now safe to release, and whether a stop string was reached (then the
    /// text released is everything before it, and nothing more may be added).
    public mutating func add(_ piece: String) -> (release: String, stopped: Bool) {
        text += piece
        if stops.isEmpty {
            released = text.count
            return (piece, false)
        }
        if let cut = firstStop() {
            let out = String(text[text.index(text.startIndex, offsetBy: released)..<cut])
            released = text.distance(from: text.startIndex, to: cut)
            return (out, true)
        }
        let safeEnd = text.count - heldBack()
        guard safeEnd > released else { return ("", false) }
        let start = text.index(text.startIndex, offsetBy: released), end = text.index(text.startIndex, offsetBy: safeEnd)
        released = safeEnd
        return (String(text[start..<end]), false)
    }

    /// The text held back (at the end of generation, when no stop came).
    public mutating func finish() -> String {
        let out = String(text.dropFirst(released))
        released = text.count
        return out
    }

    /// Where the earliest stop string starts.
    private func firstStop() -> String.Index? {
        stops.compactMap { text.range(of: $0)?.lowerBound }.min()
    }

    /// The length of the longest end of the text that is the start of a stop string.
    private func heldBack() -> Int {
        var longest = 0
        for stop in stops {
            for length in stride(from: min(stop.count - 1, text.count), to: longest, by: -1)
            where text.hasSuffix(String(stop.prefix(length))) {
                longest = length
                break
            }
        }
        return longest
    }
}
