// `mnemo report RUN... [--out FILE.html]`: compare run directories in one self-contained HTML file.
//
// Each RUN is a directory written by the trainer (metrics.jsonl required; config.json, checkpoints/, samples/
// optional). A missing directory, a missing or malformed metrics.jsonl, or a malformed config.json prints
// `error: <file[:line]: what, hint>` on stderr and exits with 1; problems that do not stop the report (a truncated
// last metrics line, a missing config.json) print `warning: ...` and are listed in the report's notes.

import ArgumentParser
import Foundation
import MnemoReport

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Compare training runs in one self-contained HTML file (tables and charts, no scripts).",
        discussion: """
            The report shows final figures per run, the settings that differ between runs, and charts of \
            training and validation loss, learning rate, gradient norm, tokens/s and every other numeric series \
            in metrics.jsonl. It opens in any browser and needs no network.
            """
    )

    @Argument(help: "Run directories (each with a metrics.jsonl).")
    var runs: [String]

    @Option(name: .long, help: "Where to write the report (default: report.html in the first run's directory).")
    var out: String?

    @Option(name: .long, help: "The report's title.")
    var title = "Mnemo run report"

    func run() throws {
        var records: [RunRecord] = []
        for directory in runs {
            do {
                records.append(try RunRecord(directory: directory))
            } catch {
                try fail("\(error)")
            }
        }
        for record in records {
            for warning in record.warnings {
                FileHandle.standardError.write(Data("warning: \(record.name): \(warning)\n".utf8))
            }
        }
        let path = out ?? URL(fileURLWithPath: runs[0]).appendingPathComponent("report.html").path
        do {
            try Report.write(runs: records, to: path, title: title)
        } catch {
            try fail("\(error)")
        }
        print("wrote \(path) (\(records.count) run\(records.count == 1 ? "" : "s"))")
    }

    /// Prints `error: message` on stderr and ends the command with exit status 1.
    private func fail(_ message: String) throws -> Never {
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
        throw ExitCode.failure
    }
}
