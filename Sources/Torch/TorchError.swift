// TorchError.swift — how libtorch failures reach Swift.
//
// Ops do not throw: a failing op stops the program with libtorch's message (as a Python script would stop
// with its exception). Inside `withError { }` failures are recorded instead and the scope throws the first
// error when its body returns — for callers who want to recover. Until then the failing op returns a stand-in:
// an undefined tensor, which every later op refuses (recorded too, behind the first error). A stand-in with
// values (the empty 0-d tensor this used to be) broadcasts into arithmetic and in-place updates, so the code
// after a failure would silently compute with garbage and write it into real tensors before the scope throws.
import CTorch
import Foundation

public struct TorchError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

final class ErrorScope {
    var first: TorchError?
    static let key = "mnemo.torch.errorScope"
    static var current: ErrorScope? { Thread.current.threadDictionary[key] as? ErrorScope }
}

/// Runs `body`; any libtorch failure inside it becomes a thrown `TorchError` (the first one) instead of a trap.
public func withError<R>(_ body: () throws -> R) throws -> R {
    let scope = ErrorScope()
    let previous = Thread.current.threadDictionary[ErrorScope.key]
    Thread.current.threadDictionary[ErrorScope.key] = scope
    defer { Thread.current.threadDictionary[ErrorScope.key] = previous }
    let result = try body()
    if let error = scope.first { throw error }
    return result
}

/// The per-thread message of the shim's last failing call.
func lastErrorMessage() -> String {
    guard let c = mt_last_error() else { return "libtorch call failed without a message" }
    return String(cString: c)
}

/// Reports the shim's last failure as `what: message`: traps outside `withError`, records inside it.
/// The message is read before `what` is built: building it may ask the shim for an operand's `shape`, and
/// every shim call clears the per-thread message.
func fail(_ what: @autoclosure () -> String) {
    let message = lastErrorMessage()
    report(TorchError("\(what()): \(message)"))
}

/// Reports a failure found on the Swift side (no shim message): traps outside `withError`, records inside it.
func report(_ error: TorchError) {
    guard let scope = ErrorScope.current else { fatalError("torch: \(error.message)") }
    if scope.first == nil { scope.first = error }
}

/// Takes ownership of a handle returned by the shim; on failure reports and returns the stand-in.
@inline(__always)
func wrap(_ handle: OpaquePointer?, _ what: @autoclosure () -> String) -> Tensor {
    Tensor(handle: handle ?? failedHandle(what()))
}

/// Reports a failed call and returns the handle of a stand-in for its result.
func failedHandle(_ what: @autoclosure () -> String) -> OpaquePointer {
    fail(what())
    return standInHandle()
}

/// A fresh handle to an undefined tensor: the stand-in result of a failed call.
func standInHandle() -> OpaquePointer {
    guard let handle = mt_undefined_tensor() else { fatalError("torch: stand-in: \(lastErrorMessage())") }
    return handle
}

extension Tensor {
    /// The stand-in result of a failed call, for results that are not a single handle (pairs, lists).
    static func standIn() -> Tensor { Tensor(handle: standInHandle()) }
}

/// Checks a status result of the shim.
@inline(__always)
func check(_ status: mt_status, _ what: @autoclosure () -> String) {
    if status != MT_OK { fail(what()) }
}

/// Checks a predicate of the shim, which answers false when it fails: a false with a message set is a failure.
@inline(__always)
func checked(_ answer: Bool, _ what: @autoclosure () -> String) -> Bool {
    if !answer, mt_last_error() != nil { fail(what()) }
    return answer
}
