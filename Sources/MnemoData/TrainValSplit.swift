// TrainValSplit.swift — the one rule that cuts a corpus into train and val, for every layout: of n items (the
// characters of a text file, the documents of a jsonl or line file), the first ⌊n·(1 − f)⌋ train and the rest
// validate (f = val_fraction). This is nanoGPT's prepare.py (`data[:int(n*0.9)]`); tinyshakespeare's 1,115,394
// characters give 1,003,854 / 111,540. `mnemo data prepare`, packed jsonl documents and padded rows all use it.
public enum TrainValSplit {
    /// Items that train: ⌊n·(1 − f)⌋ (f in [0, 1)).
    public static func trainCount(of n: Int, valFraction f: Double) -> Int {
        Swift.max(0, Swift.min(n, Int(Double(n) * (1 - f))))
    }

    /// Items that validate: n − ⌊n·(1 − f)⌋.
    public static func valCount(of n: Int, valFraction f: Double) -> Int { n - trainCount(of: n, valFraction: f) }
}
