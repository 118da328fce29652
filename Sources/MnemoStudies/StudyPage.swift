// StudyPage.swift — what the study pages (LoopedReport, MemoryReport) share: the page head with its inline style,
// and their results.md turned into HTML, so that the page and the text table never say different things.
import Foundation
import MnemoReport

enum StudyPage {
    /// <!DOCTYPE html> … <body><h1>title</h1>: self-contained (inline CSS, no scripts).
    static func head(title: String) -> String {
        let esc = SVGPlot.escape
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>\(esc(title))</title>
            <style>body{font:14px/1.45 system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
            table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
            td:first-child,th:first-child{text-align:left}figure{display:inline-block;margin:0.5em}code{background:#f4f4f4}</style>
            </head><body>
            <h1>\(esc(title))</h1>

            """
    }

    /// "N runs · generated …" and the list of arms with what each is (the first record of each arm names it).
    static func runsAndArms(_ runs: [(arm: String, summary: String)], generated: Date) -> String {
        let esc = SVGPlot.escape
        var out = "<p>\(runs.count) runs · generated \(esc(ISO8601DateFormatter().string(from: generated)))</p>\n<ul>\n"
        var seen = Set<String>()
        for r in runs where seen.insert(r.arm).inserted { out += "<li><b>\(esc(r.arm))</b>: \(esc(r.summary))</li>\n" }
        return out + "</ul>\n"
    }

    /// A study's results.md as HTML: the subset the studies write (tables, bullets, ## headings, paragraphs; the
    /// # title is the page's own).
    static func html(markdown text: String) -> String {
        let esc = SVGPlot.escape
        var out = "", inTable = false, inList = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix("|") {
                let cells = line.split(separator: "|", omittingEmptySubsequences: false).dropFirst().dropLast()
                    .map { $0.trimmingCharacters(in: .whitespaces) }
                if cells.allSatisfy({ $0.hasPrefix("---") || $0.hasPrefix(":--") || $0.hasSuffix("--:") }) { continue }
                if !inTable { out += "<table>\n"; inTable = true; out += "<tr>" + cells.map { "<th>\(esc($0))</th>" }.joined() + "</tr>\n"; continue }
                out += "<tr>" + cells.map { "<td>\(esc($0))</td>" }.joined() + "</tr>\n"
                continue
            }
            if inTable { out += "</table>\n"; inTable = false }
            if line.hasPrefix("- ") {
                if !inList { out += "<ul>\n"; inList = true }
                out += "<li>\(esc(String(line.dropFirst(2))))</li>\n"
                continue
            }
            if inList { out += "</ul>\n"; inList = false }
            if line.hasPrefix("## ") { out += "<h3>\(esc(String(line.dropFirst(3))))</h3>\n" }
            else if line.hasPrefix("# ") { continue }
            else if !line.isEmpty { out += "<p>\(esc(line))</p>\n" }
        }
        if inTable { out += "</table>\n" }
        if inList { out += "</ul>\n" }
        return out
    }
}
