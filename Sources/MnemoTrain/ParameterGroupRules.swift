// ParameterGroupRules.swift — parameter groups selected by name, each with its own learning rate, weight decay and
// gradient clipping, for any model (CortexGPT's StableTrainer: memory × 0.1 lr, wd 0.001, clip 0.5).
//
//   param_groups = "cortex:lr=0.1,wd=0.001,clip=0.5; lm_head:lr=2"
//   [[param_groups]]                       (the same as TOML tables)
//   match = "cortex"
//   lr = 0.1
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

    /// The text form of param_groups given as an array of tables (`[[param_groups]]` with match, lr, wd, clip).
    public static func text(of tables: [Any]) throws -> String {
        try tables.map { item -> String in
            guard let table = item as? [String: Any], let match = table["match"] as? String, !match.isEmpty else {
                throw ConfigError("param_groups: each table needs match = \"NAME\" (a parameter name substring) and any of lr, wd, clip")
            }
            let settings = try table.keys.filter { $0 != "match" }.sorted().map { key -> String in
                guard ["lr", "wd", "clip"].contains(key) else {
                    throw ConfigError("param_groups: unknown key '\(key)' in the table for \"\(match)\"; the keys are match, lr, wd, clip")
                }
                guard let value = (table[key] as? Double) ?? (table[key] as? Int).map(Double.init) else {
                    throw ConfigError("param_groups: \(key) for \"\(match)\" must be a number")
                }
                return "\(key)=\(value)"
            }
            return "\(match):" + settings.joined(separator: ",")
        }.joined(separator: "; ")
    }

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
