// ByteStringMap.swift — two small open-addressing hash maps for the BPE hot loop: byte string → UInt64 and
// UInt64 → UInt64. Swift's Dictionary hashes with SipHash and copies keys into Arrays; encoding GPT-2 text does
// several lookups per piece, so these hash raw memory with a cheap multiply-mix and never allocate per lookup.
//
// Both are final classes owning manually allocated storage (freed in deinit). Writes are not thread-safe; the
// maps inside a loaded tokenizer are filled once in `init` and only read afterwards, which is what makes the
// tokenizer types Sendable. Per-thread caches are separate instances.

@inline(__always)
func hashBytes(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt64 {
    var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(truncatingIfNeeded: n)
    var i = 0
    let raw = UnsafeRawPointer(p)
    while i + 8 <= n {
        let word = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
        h = (h ^ word) &* 0xBF58_476D_1CE4_E5B9
        h ^= h >> 31
        i += 8
    }
    if i < n {
        var word: UInt64 = 0
        var shift: UInt64 = 0
        while i < n {
            word |= UInt64(p[i]) << shift
            shift += 8
            i += 1
        }
        h = (h ^ word) &* 0x94D0_49BB_1331_11EB
        h ^= h >> 29
    }
    h = h &* 0xBF58_476D_1CE4_E5B9
    return h ^ (h >> 32)
}

/// Byte string → UInt64 payload. Keys are copied into one arena.
final class ByteStringMap: @unchecked Sendable {
    private struct Slot {
        var hash: UInt64
        var payload: UInt64
        var keyOffset: UInt32  // UInt32.max: empty
        var keyLength: UInt32
    }

    private(set) var count = 0
    private var mask: Int
    private var slots: UnsafeMutablePointer<Slot>
    private var keys: UnsafeMutablePointer<UInt8>
    private var keyCount = 0
    private var keyCapacity: Int

    init(capacity: Int = 64) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        mask = size - 1
        slots = .allocate(capacity: size)
        slots.initialize(repeating: Slot(hash: 0, payload: 0, keyOffset: .max, keyLength: 0), count: size)
        keyCapacity = max(256, capacity * 8)
        keys = .allocate(capacity: keyCapacity)
    }

    deinit {
        slots.deallocate()
        keys.deallocate()
    }

    /// Total bytes of stored keys.
    var keyBytes: Int { keyCount }

    @inline(__always)
    func find(_ p: UnsafePointer<UInt8>, _ n: Int, hash: UInt64) -> UInt64? {
        var index = Int(truncatingIfNeeded: hash) & mask
        while true {
            let slot = slots[index]
            if slot.keyOffset == .max { return nil }
            if slot.hash == hash, Int(slot.keyLength) == n,
               n == 0 || memcmpBytes(keys + Int(slot.keyOffset), p, n) {
                return slot.payload
            }
            index = (index + 1) & mask
        }
    }

    func find(_ bytes: [UInt8]) -> UInt64? {
        bytes.withUnsafeBufferPointer { buffer in
            let p = buffer.baseAddress ?? UnsafePointer(bitPattern: 1)!
            return find(p, buffer.count, hash: hashBytes(p, buffer.count))
        }
    }

    /// Inserts or overwrites.
    func set(_ p: UnsafePointer<UInt8>, _ n: Int, hash: UInt64, payload: UInt64) {
        var index = Int(truncatingIfNeeded: hash) & mask
        while true {
            let slot = slots[index]
            if slot.keyOffset == .max { break }
            if slot.hash == hash, Int(slot.keyLength) == n,
               n == 0 || memcmpBytes(keys + Int(slot.keyOffset), p, n) {
                slots[index].payload = payload
                return
            }
            index = (index + 1) & mask
        }
        if keyCount + n > keyCapacity {
            var newCapacity = keyCapacity * 2
            while keyCount + n > newCapacity { newCapacity *= 2 }
            let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
            grown.update(from: keys, count: keyCount)
            keys.deallocate()
            keys = grown
            keyCapacity = newCapacity
        }
        (keys + keyCount).update(from: p, count: n)
        slots[index] = Slot(hash: hash, payload: payload, keyOffset: UInt32(keyCount), keyLength: UInt32(n))
        keyCount += n
        count += 1
        if count * 2 > mask + 1 { grow() }
    }

    func set(_ bytes: [UInt8], payload: UInt64) {
        bytes.withUnsafeBufferPointer { buffer in
            let p = buffer.baseAddress ?? UnsafePointer(bitPattern: 1)!
            set(p, buffer.count, hash: hashBytes(p, buffer.count), payload: payload)
        }
    }

    func removeAll() {
        slots.update(repeating: Slot(hash: 0, payload: 0, keyOffset: .max, keyLength: 0), count: mask + 1)
        count = 0
        keyCount = 0
    }

    private func grow() {
        let oldSize = mask + 1
        let old = slots
        let size = oldSize * 2
        slots = .allocate(capacity: size)
        slots.initialize(repeating: Slot(hash: 0, payload: 0, keyOffset: .max, keyLength: 0), count: size)
        mask = size - 1
        for i in 0..<oldSize where old[i].keyOffset != .max {
            var index = Int(truncatingIfNeeded: old[i].hash) & mask
            while slots[index].keyOffset != .max { index = (index + 1) & mask }
            slots[index] = old[i]
        }
        old.deallocate()
    }
}

@inline(__always)
func memcmpBytes(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ n: Int) -> Bool {
    var i = 0
    let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
    while i + 8 <= n {
        if ra.loadUnaligned(fromByteOffset: i, as: UInt64.self) != rb.loadUnaligned(fromByteOffset: i, as: UInt64.self) {
            return false
        }
        i += 8
    }
    while i < n {
        if a[i] != b[i] { return false }
        i += 1
    }
    return true
}

/// UInt64 key → UInt64 payload (the BPE pair table: left id << 32 | right id → rank << 32 | merged id).
final class PairMap: @unchecked Sendable {
    private static let empty = UInt64.max
    private(set) var count = 0
    private var shift: UInt64
    private var mask: Int
    private var keys: UnsafeMutablePointer<UInt64>
    private var values: UnsafeMutablePointer<UInt64>

    init(capacity: Int = 64) {
        var bits: UInt64 = 4
        while (1 << bits) < capacity * 2 { bits += 1 }
        shift = 64 - bits
        mask = (1 << Int(bits)) - 1
        keys = .allocate(capacity: mask + 1)
        keys.initialize(repeating: Self.empty, count: mask + 1)
        values = .allocate(capacity: mask + 1)
        values.initialize(repeating: 0, count: mask + 1)
    }

    deinit {
        keys.deallocate()
        values.deallocate()
    }

    @inline(__always)
    private func slot(_ key: UInt64) -> Int { Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift) }

    @inline(__always)
    func find(_ key: UInt64) -> UInt64? {
        var index = slot(key)
        while true {
            let k = keys[index]
            if k == key { return values[index] }
            if k == Self.empty { return nil }
            index = (index + 1) & mask
        }
    }

    /// Inserts or overwrites. `key` must not be UInt64.max.
    func set(_ key: UInt64, _ value: UInt64) {
        var index = slot(key)
        while true {
            let k = keys[index]
            if k == key { values[index] = value; return }
            if k == Self.empty { break }
            index = (index + 1) & mask
        }
        keys[index] = key
        values[index] = value
        count += 1
        if count * 2 > mask + 1 { grow() }
    }

    private func grow() {
        let oldSize = mask + 1
        let oldKeys = keys, oldValues = values
        shift -= 1
        mask = oldSize * 2 - 1
        keys = .allocate(capacity: mask + 1)
        keys.initialize(repeating: Self.empty, count: mask + 1)
        values = .allocate(capacity: mask + 1)
        values.initialize(repeating: 0, count: mask + 1)
        for i in 0..<oldSize where oldKeys[i] != Self.empty {
            var index = slot(oldKeys[i])
            while keys[index] != Self.empty { index = (index + 1) & mask }
            keys[index] = oldKeys[i]
            values[index] = oldValues[i]
        }
        oldKeys.deallocate()
        oldValues.deallocate()
    }
}
