// LoopedGPT.swift — the two training objectives of the looped-GPT fork (Vervious/gpt, train_gpt2_ben.py), each
// with one fixed definition (the fork changed them every few commits; shared/research/gpt-anchors.md §1.3–1.4).
//
// All-layer loss (layer_loss = "all"): every layer's residual x_i goes through the final norm and the head,
// CE_i = cross_entropy(lm_head(ln_f(x_i)), targets); the objective is Σ_i CE_i (upstream: a plain sum) or its mean
// (layer_loss_mean). The logged training loss stays the last layer's CE; each CE_i is logged as loss_layer/i.
//
// Per-token early exit (early_exit = "confidence" | "threshold"). Every token runs every layer (later tokens attend
// to it); what exit decides is which layer's logits a token answers with. After layer i < L−1 a frozen
// look-ahead — the next layer's block and the head with their parameters excluded from the gradient, the gradient
// still reaching x_i — gives e = lm_head(ln_f(block_{i+1}(x_i))), nll_i = logsumexp(e) − max(e) = −log p′max.
//   confidence: a token exits with probability p′max (upstream's Exp(1) draw E = −log U against nll_i: it continues
//               when E < nll_i, i.e. exits when U ≤ p′max);
//   threshold:  a token exits when p′max ≥ exit_threshold.
// Decisions are sticky and carry no gradient; the tokens left at the last layer exit there. Output logits: each
// token's exit-layer logits, so the task loss is the cross-entropy at each token's exit layer (upstream's
// `targetLoss`). Auxiliary loss `exit_confidence` = Σ_{i<L−1} mean over all tokens of running_i · (−log(1 − p′max_i))
// with running_i the tokens still running before layer i's decision, weighted by exit_confidence_weight (the fork
// first penalised it, then rewarded it: a negative weight); −log(1 − p′) = −log1mexp(−nll) with nll ≥ 1e-7.
// Logged: exit_early_fraction (tokens that exit before the last layer), exit_layer/i (fraction exiting at layer i),
// exit_mean_depth (mean layers a token needs: the compute early exit could save at inference).
import Torch
import TorchNN

extension GPT {
    func allLayerLoss(_ streams: [Tensor], targets: Tensor?) -> ModelOutput {
        var output: ModelOutput, losses: [Tensor]
        if fusedLoss, let targets {   // each layer's loss from its normed stream in chunks: no layer's logits held
            losses = streams.map { fusedCrossEntropy(transformer.finalNorm($0), targets) }
            output = .fused(losses.last!)
        } else {
            let logits = streams.map(head)                                        // L × (B, T, V)
            output = ModelOutput(logits: logits.last!)
            guard let targets else { return output }
            let vocabulary = logits[0].size(-1)
            losses = logits.map { crossEntropy($0.view(-1, vocabulary), targets.view(-1), ignoreIndex: -1) }
        }
        let weight = config.layerLossMean ? 1 / Double(losses.count) : 1
        output.taskWeight = weight                                                 // the last layer's CE is the task loss
        if losses.count > 1 {
            output.auxiliaryLosses = [AuxiliaryLoss("loss_earlier_layers", weight: weight, losses.dropLast().reduce(losses[0] * 0, +))]
        }
        for (i, loss) in losses.enumerated() { output.metrics["loss_layer/\(i)"] = loss.detached() }
        return output
    }

    /// What an early-exit pass computed, for the model output and for the fixture tests.
    struct EarlyExitPass {
        var output: ModelOutput
        /// (B, T) float 0/1 per layer: the tokens that exit there.
        var exitMasks: [Tensor]
        /// (B, T) per layer < L−1: the look-ahead's top probability p′max.
        var topProbabilities: [Tensor]
        /// Σ_i mean(running_i · −log(1 − p′max_i)), 0-d.
        var confidence: Tensor?
    }

    /// `uniform` (L−1, B, T): the confidence rule's draws (default: fresh ones from the global generator).
    func earlyExit(_ streams: [Tensor], targets: Tensor?, uniform: Tensor? = nil) -> EarlyExitPass {
        let layers = streams.count
        let weight = config.exitConfidenceWeight
        var running = Tensor.ones(Array(streams[0].shape.dropLast()), device: streams[0].device)   // (B, T)
        var logits: Tensor? = nil
        var masks: [Tensor] = [], probabilities: [Tensor] = []
        var confidence: Tensor? = nil
        for i in 0..<layers {
            let layerLogits = head(streams[i])                                    // (B, T, V)
            let exits: Tensor
            if i < layers - 1 {
                // the look-ahead: gradient to x_i only when the confidence loss needs it
                let nll = weight != 0 ? lookAheadNLL(streams[i], layer: i) : withNoGrad { lookAheadNLL(streams[i], layer: i) }
                let p = (-nll.detached()).exp()                                     // (B, T) p′max
                probabilities.append(p)
                let decision: Tensor
                if config.earlyExit == .threshold {
                    decision = (p .>= config.exitThreshold).float()
                } else {
                    let u = uniform?.select(dim: 0, index: i) ?? Tensor.rand(p.shape, device: p.device)
                    decision = (u .<= p).float()
                }
                if weight != 0 {
                    let term = -(-nll.clamp(min: 1e-7)).log1mexp() * running          // −log(1 − p′), running tokens
                    confidence = confidence.map { $0 + term.mean() } ?? term.mean()
                }
                exits = running * decision
            } else {
                exits = running
            }
            running = running - exits
            masks.append(exits)
            let chosen = exits.unsqueeze(-1) * layerLogits
            logits = logits.map { $0 + chosen } ?? chosen
        }
        var output = ModelOutput(logits: logits!)
        if let confidence { output.auxiliaryLosses = [AuxiliaryLoss("exit_confidence", weight: weight, confidence)] }
        let fractions = masks.map { $0.mean() }
        for (i, fraction) in fractions.enumerated() { output.metrics["exit_layer/\(i)"] = fraction }
        output.metrics["exit_early_fraction"] = 1 - fractions.last!
        output.metrics["exit_mean_depth"] = fractions.enumerated().map { $0.element * Double($0.offset + 1) }.reduce(fractions[0] * 0, +)
        return EarlyExitPass(output: output, exitMasks: masks, topProbabilities: probabilities, confidence: confidence)
    }

    /// −log p′max of the frozen look-ahead after layer i: the next block and the head, their parameters left out
    /// of the gradient (requires_grad off while they run, as the fork's requires_grad_(False)). (B, T).
    private func lookAheadNLL(_ x: Tensor, layer i: Int) -> Tensor {
        let frozen = transformer.block(i + 1).parameters() + transformer.finalNorm.parameters() + [lm_head.weight]
        let before = frozen.map(\.requiresGrad)
        for p in frozen { p.requiresGrad = false }
        defer { for (p, on) in zip(frozen, before) { p.requiresGrad = on } }
        let e = head(transformer.block(i + 1)(x))                                  // (B, T, V)
        return e.logsumexp(dim: -1) - e.amax(dims: [-1])
    }
}
