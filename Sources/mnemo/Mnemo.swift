// The `mnemo` command line. Thin: each subcommand parses its arguments and calls the libraries; each lives in
// its own file (Inspect.swift, ...). Add a subcommand by writing its `ParsableCommand` and listing it below.

import ArgumentParser
import Torch

@main
struct Mnemo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mnemo",
        abstract: "Train, measure and compare small GPT-style language models on libtorch.",
        subcommands: [
            Inspect.self,
            Check.self,
            Export.self,
            Chat.self,
            TokenizerCommand.self,
            DataCommand.self,
            Demo.self,
            StudyCommand.self,
            MemoryCommand.self,
            Smoke.self,
            ReportCommand.self,
            Train.self,
            Sample.self,
            Eval.self,
            Grok.self,
            Serve.self,
        ]
    )

    static func main() {
        Runtime.reuseFreedMemory()
        main(nil)
    }
}
