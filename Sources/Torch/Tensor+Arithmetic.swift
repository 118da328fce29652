// Tensor+Arithmetic.swift — element-wise math with broadcasting, as torch's operators.
//
// Every binary operator has three forms: tensor∘tensor, tensor∘scalar, scalar∘tensor. Scalars behave as
// Python numbers do in PyTorch: an `Int` keeps an integer tensor integral, a `Double` makes it floating;
// neither changes the dtype of a floating tensor. Comparisons are spelled `.==`, `.<` … so that `==` keeps
// its Swift meaning.
import CTorch

infix operator .== : ComparisonPrecedence
infix operator .!= : ComparisonPrecedence
infix operator .< : ComparisonPrecedence
infix operator .<= : ComparisonPrecedence
infix operator .> : ComparisonPrecedence
infix operator .>= : ComparisonPrecedence
infix operator ** : MultiplicationPrecedence

/// A Swift number used as the other operand of a tensor op.
public protocol TensorScalar {
    var doubleValue: Double { get }
    /// Integral scalars keep integer tensors integral.
    static var isIntegral: Bool { get }
}
extension Int: TensorScalar { public var doubleValue: Double { Double(self) }; public static var isIntegral: Bool { true } }
extension Double: TensorScalar { public var doubleValue: Double { self }; public static var isIntegral: Bool { false } }
extension Float: TensorScalar { public var doubleValue: Double { Double(self) }; public static var isIntegral: Bool { false } }
extension TensorScalar {
    var scalarValue: mt_scalar_value { mt_scalar_value(value: doubleValue, is_integer: Self.isIntegral) }
}

@inline(__always)
func binary(_ op: mt_binary_op, _ a: Tensor, _ b: Tensor, _ name: String) -> Tensor {
    wrap(mt_binary(op, a.handle, b.handle), "\(name) of \(a.shape) and \(b.shape)")
}
@inline(__always)
func binary<S: TensorScalar>(_ op: mt_binary_op, _ a: Tensor, _ s: S, scalarFirst: Bool, _ name: String) -> Tensor {
    wrap(mt_binary_scalar(op, a.handle, s.scalarValue, scalarFirst), "\(name) of \(a.shape) and a scalar")
}

extension Tensor {
    @inline(__always) func unary(_ op: mt_unary_op, _ name: String) -> Tensor {
        wrap(mt_unary(op, handle), name)
    }

    // MARK: arithmetic operators

    public static func + (a: Tensor, b: Tensor) -> Tensor { binary(MT_ADD, a, b, "+") }
    public static func - (a: Tensor, b: Tensor) -> Tensor { binary(MT_SUB, a, b, "-") }
    public static func * (a: Tensor, b: Tensor) -> Tensor { binary(MT_MUL, a, b, "*") }
    public static func / (a: Tensor, b: Tensor) -> Tensor { binary(MT_DIV, a, b, "/") }
    public static func % (a: Tensor, b: Tensor) -> Tensor { binary(MT_REMAINDER, a, b, "%") }
    public static func ** (a: Tensor, b: Tensor) -> Tensor { binary(MT_POW, a, b, "**") }
    public static prefix func - (a: Tensor) -> Tensor { a.unary(MT_NEG, "neg") }

    public static func + <S: TensorScalar>(a: Tensor, s: S) -> Tensor { binary(MT_ADD, a, s, scalarFirst: false, "+") }
    public static func - <S: TensorScalar>(a: Tensor, s: S) -> Tensor { binary(MT_SUB, a, s, scalarFirst: false, "-") }
    public static func * <S: TensorScalar>(a: Tensor, s: S) -> Tensor { binary(MT_MUL, a, s, scalarFirst: false, "*") }
    public static func / <S: TensorScalar>(a: Tensor, s: S) -> Tensor { binary(MT_DIV, a, s, scalarFirst: false, "/") }
    public static func % <S: TensorScalar>(a: Tensor, s: S) -> Tensor { binary(MT_REMAINDER, a, s, scalarFirst: false, "%") }
    public static func ** <S: TensorScalar>(a: Tensor, s: S) -> Tensor { binary(MT_POW, a, s, scalarFirst: false, "**") }

    public static func + <S: TensorScalar>(s: S, a: Tensor) -> Tensor { binary(MT_ADD, a, s, scalarFirst: true, "+") }
    public static func - <S: TensorScalar>(s: S, a: Tensor) -> Tensor { binary(MT_SUB, a, s, scalarFirst: true, "-") }
    public static func * <S: TensorScalar>(s: S, a: Tensor) -> Tensor { binary(MT_MUL, a, s, scalarFirst: true, "*") }
    public static func / <S: TensorScalar>(s: S, a: Tensor) -> Tensor { binary(MT_DIV, a, s, scalarFirst: true, "/") }
    public static func ** <S: TensorScalar>(s: S, a: Tensor) -> Tensor { binary(MT_POW, a, s, scalarFirst: true, "**") }

    // MARK: in-place (autograd checks them as torch does)

    public static func += (a: Tensor, b: Tensor) { check(mt_binary_(MT_ADD, a.handle, b.handle), "+=") }
    public static func -= (a: Tensor, b: Tensor) { check(mt_binary_(MT_SUB, a.handle, b.handle), "-=") }
    public static func *= (a: Tensor, b: Tensor) { check(mt_binary_(MT_MUL, a.handle, b.handle), "*=") }
    public static func /= (a: Tensor, b: Tensor) { check(mt_binary_(MT_DIV, a.handle, b.handle), "/=") }
    public static func += <S: TensorScalar>(a: Tensor, s: S) { check(mt_binary_scalar_(MT_ADD, a.handle, s.scalarValue), "+=") }
    public static func -= <S: TensorScalar>(a: Tensor, s: S) { check(mt_binary_scalar_(MT_SUB, a.handle, s.scalarValue), "-=") }
    public static func *= <S: TensorScalar>(a: Tensor, s: S) { check(mt_binary_scalar_(MT_MUL, a.handle, s.scalarValue), "*=") }
    public static func /= <S: TensorScalar>(a: Tensor, s: S) { check(mt_binary_scalar_(MT_DIV, a.handle, s.scalarValue), "/=") }

    /// self += alpha * other (torch's `add_(other, alpha=)`).
    public func add_(_ other: Tensor, alpha: Double = 1) { check(mt_add_scaled_(handle, other.handle, alpha), "add_") }
    /// Copies `source` into self (broadcasting, converting dtype/device).
    public func copy_(_ source: Tensor) { check(mt_copy_(handle, source.handle), "copy_ \(source.shape) into \(shape)") }
    public func fill_<S: TensorScalar>(_ value: S) { check(mt_fill_(handle, value.scalarValue), "fill_") }
    public func zero_() { check(mt_zero_(handle), "zero_") }

    // MARK: comparisons and logic (results are bool tensors)

    public static func .== (a: Tensor, b: Tensor) -> Tensor { binary(MT_EQ, a, b, ".==") }
    public static func .!= (a: Tensor, b: Tensor) -> Tensor { binary(MT_NE, a, b, ".!=") }
    public static func .< (a: Tensor, b: Tensor) -> Tensor { binary(MT_LT, a, b, ".<") }
    public static func .<= (a: Tensor, b: Tensor) -> Tensor { binary(MT_LE, a, b, ".<=") }
    public static func .> (a: Tensor, b: Tensor) -> Tensor { binary(MT_GT, a, b, ".>") }
    public static func .>= (a: Tensor, b: Tensor) -> Tensor { binary(MT_GE, a, b, ".>=") }
    public static func .== <S: TensorScalar>(a: Tensor, s: S) -> Tensor { binary(MT_EQ, a, s, scalarFirst: false, ".==") }
    public static func .!= <S: TensorScalar>(a: Tensor, s: S) -> Tensor { binary(MT_NE, a, s, scalarFirst: false, ".!=") }
    public static func .< <S: TensorScalar>(a: Tensor, s: S) -> Tensor { binary(MT_LT, a, s, scalarFirst: false, ".<") }
    public static func .<= <S: TensorScalar>(a: Tensor, s: S) -> Tensor { binary(MT_LE, a, s, scalarFirst: false, ".<=") }
    public static func .> <S: TensorScalar>(a: Tensor, s: S) -> Tensor { binary(MT_GT, a, s, scalarFirst: false, ".>") }
    public static func .>= <S: TensorScalar>(a: Tensor, s: S) -> Tensor { binary(MT_GE, a, s, scalarFirst: false, ".>=") }

    public func logicalAnd(_ other: Tensor) -> Tensor { binary(MT_LOGICAL_AND, self, other, "logicalAnd") }
    public func logicalOr(_ other: Tensor) -> Tensor { binary(MT_LOGICAL_OR, self, other, "logicalOr") }
    public func logicalXor(_ other: Tensor) -> Tensor { binary(MT_LOGICAL_XOR, self, other, "logicalXor") }
    public func logicalNot() -> Tensor { unary(MT_LOGICAL_NOT, "logicalNot") }
    public static prefix func ! (a: Tensor) -> Tensor { a.logicalNot() }
    public static func && (a: Tensor, b: Tensor) -> Tensor { a.logicalAnd(b) }
    public static func || (a: Tensor, b: Tensor) -> Tensor { a.logicalOr(b) }
    public func isnan() -> Tensor { unary(MT_ISNAN, "isnan") }
    public func isinf() -> Tensor { unary(MT_ISINF, "isinf") }
    public func isfinite() -> Tensor { unary(MT_ISFINITE, "isfinite") }

    /// True when shapes and every value are equal.
    public func equal(_ other: Tensor) -> Bool { checked(mt_equal(handle, other.handle), "equal") }
    public func allClose(_ other: Tensor, rtol: Double = 1e-5, atol: Double = 1e-8, equalNaN: Bool = false) -> Bool {
        checked(mt_allclose(handle, other.handle, rtol, atol, equalNaN), "allClose")
    }

    // MARK: element-wise functions

    public func exp() -> Tensor { unary(MT_EXP, "exp") }
    public func log() -> Tensor { unary(MT_LOG, "log") }
    public func log2() -> Tensor { unary(MT_LOG2, "log2") }
    public func log1p() -> Tensor { unary(MT_LOG1P, "log1p") }
    public func expm1() -> Tensor { unary(MT_EXPM1, "expm1") }
    public func sqrt() -> Tensor { unary(MT_SQRT, "sqrt") }
    public func rsqrt() -> Tensor { unary(MT_RSQRT, "rsqrt") }
    public func abs() -> Tensor { unary(MT_ABS, "abs") }
    public func sin() -> Tensor { unary(MT_SIN, "sin") }
    public func cos() -> Tensor { unary(MT_COS, "cos") }
    public func tanh() -> Tensor { unary(MT_TANH, "tanh") }
    public func sigmoid() -> Tensor { unary(MT_SIGMOID, "sigmoid") }
    public func relu() -> Tensor { unary(MT_RELU, "relu") }
    public func silu() -> Tensor { unary(MT_SILU, "silu") }
    /// GELU; `approximate: true` is the tanh form (GPT-2's "gelu_new").
    public func gelu(approximate: Bool = false) -> Tensor { unary(approximate ? MT_GELU_TANH : MT_GELU, "gelu") }
    public func softplus() -> Tensor { unary(MT_SOFTPLUS, "softplus") }
    public func square() -> Tensor { unary(MT_SQUARE, "square") }
    public func reciprocal() -> Tensor { unary(MT_RECIPROCAL, "reciprocal") }
    public func erf() -> Tensor { unary(MT_ERF, "erf") }
    public func sign() -> Tensor { unary(MT_SIGN, "sign") }
    public func floor() -> Tensor { unary(MT_FLOOR, "floor") }
    public func ceil() -> Tensor { unary(MT_CEIL, "ceil") }
    public func round() -> Tensor { unary(MT_ROUND, "round") }
    public func trunc() -> Tensor { unary(MT_TRUNC, "trunc") }
    public func pow<S: TensorScalar>(_ exponent: S) -> Tensor { self ** exponent }
    public func pow(_ exponent: Tensor) -> Tensor { self ** exponent }
    public func maximum(_ other: Tensor) -> Tensor { binary(MT_MAXIMUM, self, other, "maximum") }
    public func minimum(_ other: Tensor) -> Tensor { binary(MT_MINIMUM, self, other, "minimum") }
    public func floorDivide(_ other: Tensor) -> Tensor { binary(MT_FLOOR_DIVIDE, self, other, "floorDivide") }
    public func floorDivide<S: TensorScalar>(_ s: S) -> Tensor { binary(MT_FLOOR_DIVIDE, self, s, scalarFirst: false, "floorDivide") }
    public func atan2(_ other: Tensor) -> Tensor { binary(MT_ATAN2, self, other, "atan2") }

    /// Limits values to [min, max]; either bound may be omitted.
    public func clamp(min: Double? = nil, max: Double? = nil) -> Tensor {
        wrap(mt_clamp(handle, min ?? 0, max ?? 0, min != nil, max != nil), "clamp")
    }
    /// Linear interpolation self + weight * (end - self).
    public func lerp(_ end: Tensor, weight: Double) -> Tensor { wrap(mt_lerp(handle, end.handle, weight), "lerp") }

    /// Where `mask` is true, `value`; elsewhere self.
    public func maskedFill<S: TensorScalar>(_ mask: Tensor, _ value: S) -> Tensor {
        wrap(mt_masked_fill(handle, mask.handle, value.scalarValue), "maskedFill")
    }
}

/// Element-wise choice: `a` where `condition` is true, else `b` (torch.where).
public func `where`(_ condition: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
    wrap(mt_where(condition.handle, a.handle, b.handle), "where")
}
public func `where`(_ condition: Tensor, _ a: Tensor, _ b: Double) -> Tensor {
    wrap(mt_where_scalar(condition.handle, a.handle, b), "where")
}

// MARK: linear algebra

extension Tensor {
    /// Matrix product with torch.matmul's broadcasting rules.
    public func matmul(_ other: Tensor) -> Tensor { wrap(mt_matmul(handle, other.handle), "matmul of \(shape) and \(other.shape)") }
    /// Batched matrix product of (B, n, m) and (B, m, p).
    public func bmm(_ other: Tensor) -> Tensor { wrap(mt_bmm(handle, other.handle), "bmm of \(shape) and \(other.shape)") }
    public func outer(_ other: Tensor) -> Tensor { wrap(mt_outer(handle, other.handle), "outer") }
    /// Transpose of the last two dimensions (a 2-D `.T`).
    public var T: Tensor { transpose(-2, -1) }
}

/// x @ weight.T + bias (torch.nn.functional.linear). weight is (out, in).
public func linear(_ x: Tensor, weight: Tensor, bias: Tensor? = nil) -> Tensor {
    wrap(mt_linear(x.handle, weight.handle, bias?.handle), "linear of \(x.shape) with weight \(weight.shape)")
}
