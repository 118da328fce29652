// HookRegistry.swift — hooks by name, so a config can enable them: `hooks = ["grad_norm:wte", "weight_norm:lm_head"]`
// (a TOML array, or `--set hooks=grad_norm:wte,weight_norm:lm_head`). Each entry is NAME or NAME:ARGUMENT. An unknown
// name, a missing argument or an argument the hook refuses (a parameter that does not exist, a task file that does not
// read) stops the run before training starts. Adding a hook a config can name is one file and one line in
// `HookRegistry.all`.
import MnemoData
import MnemoSupport
import MnemoModels

/// What a named hook is built from: the run's model, tokenizer and settings.
public struct HookInputs {
    public let model: any LanguageModel
    public let tokenizer: any Tokenizer
    public let config: TrainConfig
    /// The run's folder (where a hook writes files of its own); nil when the hooks are built outside a run.
    public let folder: RunFolder?
    public init(model: any LanguageModel, tokenizer: any Tokenizer, config: TrainConfig, folder: RunFolder? = nil) {
        self.model = model
        self.tokenizer = tokenizer
        self.config = config
        self.folder = folder
    }
}

public struct RegisteredHook: Sendable {
    public let name: String
    /// What the argument is ("" when the hook takes none).
    public let argument: String
    public let summary: String
    let make: @Sendable (_ argument: String, _ run: HookInputs) throws -> any TrainingHook
}

public enum HookRegistry {
    public static let all: [RegisteredHook] = [
        RegisteredHook(name: "grad_norm", argument: "parameter name substring",
                       summary: "gradient norm of the matching parameters on every logged step") {
            try GradientNormHook(model: $1.model, matching: $0)
        },
        RegisteredHook(name: "weight_norm", argument: "parameter name substring",
                       summary: "norm of the matching parameters on every logged step") {
            try WeightNormHook(model: $1.model, matching: $0)
        },
        RegisteredHook(name: "update_cos", argument: "parameter name substring",
                       summary: "cosine between the matching parameters' update and their weights, every logged step") {
            try UpdateCosineHook(model: $1.model, matching: $0)
        },
        RegisteredHook(name: "task_eval", argument: "task file (.jsonl or llm.c .bin)",
                       summary: "a multiple-choice task's acc and acc_norm at every evaluation") {
            try TaskEvalHook(path: $0, run: $1)
        },
        RegisteredHook(name: "profile", argument: "steps START-END",
                       summary: "libtorch's profiler over steps START..<END, saved as a Chrome trace RUN/profile_START-END.json") {
            try ProfileHook(steps: $0, run: $1)
        },
    ]

    public static var names: [String] { all.map(\.name) }

    /// The hook an entry of `hooks` names, built for `run`.
    public static func make(_ entry: String, run: HookInputs) throws -> any TrainingHook {
        let parts = entry.split(separator: ":", maxSplits: 1).map { String($0).trimmingCharacters(in: .whitespaces) }
        let name = parts.first ?? "", argument = parts.count > 1 ? parts[1] : ""
        guard let hook = all.first(where: { $0.name == name }) else {
            throw ConfigError("hooks: unknown hook '\(name)'; known hooks: "
                              + all.map { $0.argument.isEmpty ? $0.name : "\($0.name):<\($0.argument)>" }.joined(separator: ", "))
        }
        if !hook.argument.isEmpty && argument.isEmpty {
            throw ConfigError("hooks: '\(name)' needs an argument, \(name):<\(hook.argument)> (e.g. \(name):wte)")
        }
        return try hook.make(argument, run)
    }
}
