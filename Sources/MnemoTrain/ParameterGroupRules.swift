// ParameterGroupRules.swift — parameter groups selected by name, each with its own learning rate, weight decay and
// gradient clipping, for any model (CortexGPT's StableTrainer: memory × 0.1 lr, wd 0.001, clip 0.5).
//
//   param_groups = "cortex:lr=0.1,wd=0.001,clip=0.5; lm_head:lr=2"
//
// Each rule is `NAME:key=value,…` with NAME a substring of parameter names (the first rule that matches takes a
// parameter); lr multiplies the run's learning rate (default 1), wd replaces weight_decay on the parameters the model
// decays (its no-decay parameters — biases, norm gains — stay at 0), clip is the rule's own max gradient norm (default:
// clipped together with the other parameters under grad_clip). Parameters no rule takes form the group "main".
import MnemoModels
import Torch

public struct ParameterGroupRule: Sendable, Equatable {
    public var match: String
    public var lrScale = 1.0
    public var weightDecay: Double? = nil
    public var clip: Double? = nil

    /// Parses `param_groups`; throws a ConfigError that names the bad part.
    public static func parse(_ text: String) throws -> [ParameterGroupRule] {
        var rules: [ParameterGroupRule] = []
        for part in text.split(separator: ";").map({ $0.trimmingCharacters(in: .whitespaces) }) where !part.isEmpty {
            let pieces = part.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pieces.count == 2, !pieces[0].isEmpty else {
                throw ConfigError("param_groups: \"\(part)\" must be NAME:key=value,… (keys lr, wd, clip), e.g. \"cortex:lr=0.1,wd=0.001,clip=0.5\"")
            }
            var rule = ParameterGroupRule(match: pieces[0])
            for setting in pieces[1].split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !setting.isEmpty {
                let kv = setting.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard kv.count == 2, let value = Double(kv[1]), value.isFinite, value >= 0 else {
                    throw ConfigError("param_groups: \"\(setting)\" in \"\(part)\" must be key=number ≥ 0 (keys lr, wd, clip)")
                }
                switch kv[0] {
                case "lr": rule.lrScale = value
                case "wd": rule.weightDecay = value
                case "clip": rule.clip = value
                default: throw ConfigError("param_groups: unknown key '\(kv[0])' in \"\(part)\"; the keys are lr, wd, clip")
                }
            }
            guard !rules.contains(where: { $0.match == rule.match }) else {
                throw ConfigError("param_groups: \"\(rule.match)\" is given twice")
            }
            rules.append(rule)
        }
        return rules
    }

    /// The model's groups split by the rules: each rule's share of a group becomes "RULE/GROUP" with the rule's lr scale
    /// and (for a decaying group) weight decay.
    public static func apply(_ rules: [ParameterGroupRule], to groups: [ModelParameterGroup]) -> [ModelParameterGroup] {
        guard !rules.isEmpty else { return groups }
        var out: [ModelParameterGroup] = []
        for group in groups {
            var taken = Array(repeating: false, count: group.parameters.count)
            for rule in rules {
                var mine: [(name: String, tensor: Tensor)] = []
                for (i, p) in group.parameters.enumerated() where !taken[i] && p.name.contains(rule.match) {
                    taken[i] = true
                    mine.append(p)
                }
                guard !mine.isEmpty else { continue }
                let decay = group.weightDecay == nil ? rule.weightDecay : group.weightDecay
                out.append(ModelParameterGroup(name: "\(rule.match)/\(group.name)", parameters: mine, weightDecay: decay,
                                               lrScale: group.lrScale * rule.lrScale))
            }
            let rest = zip(group.parameters, taken).filter { !$0.1 }.map(\.0)
            if !rest.isEmpty {
                out.append(ModelParameterGroup(name: group.name, parameters: rest, weightDecay: group.weightDecay, lrScale: group.lrScale))
            }
        }
        return out
    }
}
