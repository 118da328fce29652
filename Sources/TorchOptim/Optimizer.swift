// Optimizer.swift — what every optimizer shares: parameter groups with their own hyper-parameters, zeroing
// gradients, and state that saves and loads.
import Foundation
import Torch

/// Parameters that share hyper-parameters. Any field may be changed between steps (schedules set `lr`).
public final class ParameterGroup {
    public var names: [String]
    public var params: [Tensor]
    public var lr: Double
    public var weightDecay: Double
    public var betas: (Double, Double)
    public var eps: Double
    /// Clip this group's gradients to this total norm before stepping (nil: no per-group clipping).
    public var maxGradNorm: Double?
    /// A free label (e.g. "decay", "no_decay", "memory").
    public var label: String

    public init(params: [Tensor], names: [String]? = nil, lr: Double, weightDecay: Double = 0,
                betas: (Double, Double) = (0.9, 0.999), eps: Double = 1e-8, maxGradNorm: Double? = nil,
                label: String = "") {
        self.params = params
        self.names = names ?? params.indices.map { "param\($0)" }
        precondition(self.names.count == params.count, "ParameterGroup: \(self.names.count) names for \(params.count) parameters")
        self.lr = lr
        self.weightDecay = weightDecay
        self.betas = betas
        self.eps = eps
        self.maxGradNorm = maxGradNorm
        self.label = label
    }

    /// (name, parameter, gradient) for parameters that received a gradient.
    public var withGradients: [(name: String, param: Tensor, grad: Tensor)] {
        zip(names, params).compactMap { name, p in p.grad.map { (name, p, $0) } }
    }
}

public protocol Optimizer: AnyObject {
    var groups: [ParameterGroup] { get }
    /// Applies one update to every parameter that has a gradient.
    func step()
    /// The optimizer's state (moments, step counts) by "<param name>.<field>", for checkpoints.
    func stateDict() -> [String: Tensor]
    func load(stateDict: [String: Tensor]) throws
}

extension Optimizer {
    /// Clears every gradient (sets it to nil, as PyTorch's default set_to_none=True).
    public func zeroGrad() {
        for g in groups { for p in g.params { p.grad = nil } }
    }

    /// Every parameter of every group.
    public var allParameters: [Tensor] { groups.flatMap(\.params) }

    /// Sets the learning rate of every group.
    public func setLearningRate(_ lr: Double) {
        for g in groups { g.lr = lr }
    }

    /// Clips each group that has `maxGradNorm`; returns the pre-clip norms by group index.
    @discardableResult
    public func clipGroups() -> [Int: Double] {
        var norms: [Int: Double] = [:]
        for (i, g) in groups.enumerated() {
            if let maxNorm = g.maxGradNorm { norms[i] = clipGradNorm(g.params, maxNorm: maxNorm) }
        }
        return norms
    }

    /// Saves the state to a safetensors file (atomically), with the hyper-parameters in its metadata.
    public func save(to path: String) throws {
        var meta: [String: String] = ["optimizer": String(describing: type(of: self))]
        for (i, g) in groups.enumerated() {
            meta["group.\(i).lr"] = String(g.lr)
            meta["group.\(i).weight_decay"] = String(g.weightDecay)
            meta["group.\(i).betas"] = "\(g.betas.0),\(g.betas.1)"
            meta["group.\(i).eps"] = String(g.eps)
            meta["group.\(i).params"] = g.names.joined(separator: ",")
        }
        try SafeTensorsIO.save(stateDict(), to: path, metadata: meta)
    }

    /// Loads state saved by `save(to:)`; the learning rates are restored too.
    public func load(from path: String) throws {
        let (tensors, meta) = try SafeTensorsIO.loadWithMetadata(path)
        for (i, g) in groups.enumerated() {
            if let names = meta["group.\(i).params"], names != g.names.joined(separator: ",") {
                throw OptimizerStateError("\(path): group \(i) holds parameters [\(names)] but this optimizer's group \(i) holds [\(g.names.joined(separator: ","))]")
            }
            if let lr = meta["group.\(i).lr"].flatMap(Double.init) { g.lr = lr }
        }
        try load(stateDict: tensors)
    }
}

public struct OptimizerStateError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
