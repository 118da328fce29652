// StudyRuns.swift — what the studies (LoopedStudy, MemoryStudy, CortexStudy) share: arms chosen by name, a run's
// config from the preset and the arm's settings, and a trainer that continues a killed study's run from its checkpoint.
import Foundation
import MnemoTrain

enum StudyRuns {
    /// The arms named, in the order given; an unknown name is an error that lists the arms.
    static func choose<Arm>(_ names: [String], from arms: [Arm], name: (Arm) -> String) throws -> [Arm] {
        try names.map { wanted in
            guard let arm = arms.first(where: { name($0) == wanted }) else {
                throw ConfigError("unknown arm \"\(wanted)\"; the arms are \(arms.map(name).joined(separator: ", "))")
            }
            return arm
        }
    }

    /// The preset with `settings` (key=value, in order) applied.
    static func config(preset: String, settings: [String]) throws -> TrainConfig {
        var config = try TrainConfig.load(preset)
        for setting in settings { try config.apply(override: setting) }
        return config
    }

    /// A quiet trainer for `folder`: resumed from its latest checkpoint when it has one (a killed study continues),
    /// else new with `config`.
    static func trainer(config: TrainConfig, folder: String) throws -> (trainer: Trainer, resumed: Bool) {
        let resuming = Checkpoint.latest(root: "\(folder)/checkpoints") != nil
        let trainer = resuming ? try Trainer.resume(runDirectory: folder) : try Trainer(config: config, runDirectory: folder)
        trainer.progress = false
        return (trainer, resuming)
    }
}
