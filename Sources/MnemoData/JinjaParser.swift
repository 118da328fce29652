// JinjaParser.swift — chat templates' Jinja (JinjaTemplate.swift lists the subset) to a tree: statements and
// expressions with their offsets, so that render-time errors name the place. Jinja's precedence: conditional, or, and,
// not, comparisons (== != < > <= >= in, not in), + -, ~, * / // %, unary -, then postfix (. [] () | is).

indirect enum JinjaExpr {
    case literal(JinjaValue)
    case name(String)
    case list([JinjaExpr])
    case dict([(JinjaExpr, JinjaExpr)])
    case attribute(JinjaExpr, String, offset: Int)
    case index(JinjaExpr, JinjaExpr, offset: Int)
    case slice(JinjaExpr, JinjaExpr?, JinjaExpr?, JinjaExpr?, offset: Int)
    case call(JinjaExpr, [JinjaExpr], [(String, JinjaExpr)], offset: Int)
    case filter(JinjaExpr, String, [JinjaExpr], [(String, JinjaExpr)], offset: Int)
    case test(JinjaExpr, String, negated: Bool, offset: Int)
    case unary(String, JinjaExpr)
    case binary(String, JinjaExpr, JinjaExpr, offset: Int)
    case conditional(JinjaExpr, JinjaExpr, JinjaExpr?)
}

indirect enum JinjaNode {
    case text(String)
    case output(JinjaExpr)
    case ifBlock([(JinjaExpr, [JinjaNode])], [JinjaNode])
    case forBlock([String], JinjaExpr, [JinjaNode], [JinjaNode])
    case set([String], JinjaExpr, offset: Int)          // name, or namespace + attribute
}

struct JinjaParser {
    let source: String
    var pieces: [JinjaPiece]
    var position = 0

    init(_ source: String) throws {
        self.source = source
        pieces = try JinjaLexer.pieces(source)
    }

    /// The whole template.
    mutating func parse() throws -> [JinjaNode] {
        let (nodes, stop) = try block(until: [])
        if let stop { throw JinjaLexer.error("'\(stop.0)' without its opening tag", stop.1, source) }
        return nodes
    }

    /// Nodes until a statement named in `until`; returns them and that statement's keyword (nil at the end).
    mutating func block(until: Set<String>) throws -> ([JinjaNode], (String, Int, [JinjaToken])?) {
        var nodes: [JinjaNode] = []
        while position < pieces.count {
            let piece = pieces[position]
            position += 1
            switch piece {
            case .text(let t): nodes.append(.text(t))
            case .output(let tokens, _):
                var p = ExpressionParser(tokens: tokens, source: source)
                nodes.append(.output(try p.whole()))
            case .statement(let tokens, let offset):
                guard let keyword = tokens.first, keyword.kind == .name else {
                    throw JinjaLexer.error("a tag must start with a keyword", offset, source)
                }
                if until.contains(keyword.text) { return (nodes, (keyword.text, keyword.offset, tokens)) }
                switch keyword.text {
                case "if": nodes.append(try ifBlock(tokens))
                case "for": nodes.append(try forBlock(tokens))
                case "set": nodes.append(try setStatement(tokens))
                case "elif", "else", "endif", "endfor":
                    throw JinjaLexer.error("'\(keyword.text)' without its opening tag", keyword.offset, source)
                default:
                    throw JinjaLexer.error("unsupported construct '\(keyword.text)' (chat templates here use if, for and set)", keyword.offset, source)
                }
            }
        }
        if !until.isEmpty { throw JinjaLexer.error("the template ends before \(until.sorted().joined(separator: " / "))", source.unicodeScalars.count, source) }
        return (nodes, nil)
    }

    mutating func ifBlock(_ tokens: [JinjaToken]) throws -> JinjaNode {
        var branches: [(JinjaExpr, [JinjaNode])] = []
        var condition = try expression(tokens, from: 1)
        while true {
            let (body, stop) = try block(until: ["elif", "else", "endif"])
            branches.append((condition, body))
            guard let (keyword, _, stopTokens) = stop else { break }
            switch keyword {
            case "elif": condition = try expression(stopTokens, from: 1)
            case "else":
                return .ifBlock(branches, try block(until: ["endif"]).0)   // block() throws if endif is missing
            default: return .ifBlock(branches, [])
            }
        }
        return .ifBlock(branches, [])
    }

    mutating func forBlock(_ tokens: [JinjaToken]) throws -> JinjaNode {
        var names: [String] = []
        var i = 1
        while i < tokens.count, tokens[i].kind == .name, tokens[i].text != "in" {
            names.append(tokens[i].text)
            i += 1
            if tokens[i].text == "," { i += 1 }
        }
        guard !names.isEmpty, i < tokens.count, tokens[i].text == "in" else {
            throw JinjaLexer.error("a for loop is 'for NAME in EXPR' (or 'for A, B in EXPR')", tokens[0].offset, source)
        }
        let iterable = try expression(tokens, from: i + 1, allowTrailingIf: false)
        let (body, stop) = try block(until: ["else", "endfor"])
        var elseBody: [JinjaNode] = []
        if stop?.0 == "else" { elseBody = try block(until: ["endfor"]).0 }
        return .forBlock(names, iterable, body, elseBody)
    }

    mutating func setStatement(_ tokens: [JinjaToken]) throws -> JinjaNode {
        guard tokens.count > 3, tokens[1].kind == .name else {
            throw JinjaLexer.error("set is 'set NAME = EXPR' or 'set NAMESPACE.ATTR = EXPR' (block sets are not supported)", tokens[0].offset, source)
        }
        var target = [tokens[1].text], i = 2
        if tokens[2].text == ".", tokens[3].kind == .name { target.append(tokens[3].text); i = 4 }
        guard i < tokens.count, tokens[i].text == "=" else {
            throw JinjaLexer.error("set is 'set NAME = EXPR' or 'set NAMESPACE.ATTR = EXPR' (block sets are not supported)", tokens[0].offset, source)
        }
        return .set(target, try expression(tokens, from: i + 1), offset: tokens[0].offset)
    }

    func expression(_ tokens: [JinjaToken], from start: Int, allowTrailingIf: Bool = true) throws -> JinjaExpr {
        var p = ExpressionParser(tokens: Array(tokens[start...]), source: source)
        return try p.whole()
    }
}

/// A recursive-descent parser over one tag's tokens.
struct ExpressionParser {
    let tokens: [JinjaToken]
    let source: String
    var i = 0

    init(tokens: [JinjaToken], source: String) {
        self.tokens = tokens
        self.source = source
    }

    var current: JinjaToken { tokens[i] }
    func fail(_ message: String, _ token: JinjaToken? = nil) -> JinjaError {
        JinjaLexer.error(message, (token ?? tokens[i]).offset, source)
    }
    mutating func take(_ text: String) -> Bool {
        if current.kind != .end && current.text == text && current.kind != .string { i += 1; return true }
        return false
    }
    mutating func expect(_ text: String) throws {
        guard take(text) else { throw fail("expected '\(text)', found '\(current.text)'") }
    }

    /// One expression that uses every token.
    mutating func whole() throws -> JinjaExpr {
        let e = try conditional()
        guard current.kind == .end else { throw fail("unexpected '\(current.text)' after the expression") }
        return e
    }

    mutating func conditional() throws -> JinjaExpr {
        let value = try or()
        guard current.kind == .name, current.text == "if" else { return value }
        i += 1
        let condition = try or()
        var otherwise: JinjaExpr? = nil
        if current.kind == .name && current.text == "else" { i += 1; otherwise = try conditional() }
        return .conditional(value, condition, otherwise)
    }

    mutating func or() throws -> JinjaExpr {
        var left = try and()
        while current.kind == .name && current.text == "or" { let o = current.offset; i += 1; left = .binary("or", left, try and(), offset: o) }
        return left
    }

    mutating func and() throws -> JinjaExpr {
        var left = try not()
        while current.kind == .name && current.text == "and" { let o = current.offset; i += 1; left = .binary("and", left, try not(), offset: o) }
        return left
    }

    mutating func not() throws -> JinjaExpr {
        if current.kind == .name && current.text == "not" { i += 1; return .unary("not", try not()) }
        return try compare()
    }

    mutating func compare() throws -> JinjaExpr {
        var left = try math1()
        while true {
            let o = current.offset
            if current.kind == .op, ["==", "!=", "<", ">", "<=", ">="].contains(current.text) {
                let op = current.text; i += 1
                left = .binary(op, left, try math1(), offset: o)
            } else if current.kind == .name && current.text == "in" {
                i += 1; left = .binary("in", left, try math1(), offset: o)
            } else if current.kind == .name && current.text == "not" && i + 1 < tokens.count && tokens[i + 1].text == "in" {
                i += 2; left = .unary("not", .binary("in", left, try math1(), offset: o))
            } else { return left }
        }
    }

    mutating func math1() throws -> JinjaExpr {
        var left = try concat()
        while current.kind == .op && (current.text == "+" || current.text == "-") {
            let op = current.text, o = current.offset; i += 1
            left = .binary(op, left, try concat(), offset: o)
        }
        return left
    }

    mutating func concat() throws -> JinjaExpr {
        var left = try math2()
        while current.kind == .op && current.text == "~" { let o = current.offset; i += 1; left = .binary("~", left, try math2(), offset: o) }
        return left
    }

    mutating func math2() throws -> JinjaExpr {
        var left = try unary()
        while current.kind == .op && ["*", "/", "//", "%"].contains(current.text) {
            let op = current.text, o = current.offset; i += 1
            left = .binary(op, left, try unary(), offset: o)
        }
        return left
    }

    mutating func unary() throws -> JinjaExpr {
        if current.kind == .op && current.text == "-" { i += 1; return .unary("-", try unary()) }
        if current.kind == .op && current.text == "+" { i += 1; return try unary() }
        return try postfix(try primary())
    }

    mutating func primary() throws -> JinjaExpr {
        let token = current
        switch token.kind {
        case .string:
            i += 1
            var text = token.text
            while current.kind == .string { text += current.text; i += 1 }     // adjacent literals join
            return .literal(.string(text))
        case .int: i += 1; return .literal(.int(Int(token.text) ?? 0))
        case .double: i += 1; return .literal(.double(Double(token.text) ?? 0))
        case .name:
            i += 1
            switch token.text {
            case "true", "True": return .literal(.bool(true))
            case "false", "False": return .literal(.bool(false))
            case "none", "None": return .literal(.none)
            default: return .name(token.text)
            }
        case .op where token.text == "(":
            i += 1
            let inner = try conditional()
            try expect(")")
            return inner
        case .op where token.text == "[":
            i += 1
            var items: [JinjaExpr] = []
            while !take("]") {
                items.append(try conditional())
                if !take(",") { try expect("]"); break }
            }
            return .list(items)
        case .op where token.text == "{":
            i += 1
            var items: [(JinjaExpr, JinjaExpr)] = []
            while !take("}") {
                let key = try conditional()
                try expect(":")
                items.append((key, try conditional()))
                if !take(",") { try expect("}"); break }
            }
            return .dict(items)
        default:
            throw fail(token.kind == .end ? "an expression is missing" : "unexpected '\(token.text)'")
        }
    }

    mutating func postfix(_ base: JinjaExpr) throws -> JinjaExpr {
        var e = base
        while true {
            let o = current.offset
            if take(".") {
                guard current.kind == .name else { throw fail("expected an attribute name after '.'") }
                e = .attribute(e, current.text, offset: o); i += 1
            } else if take("[") {
                var parts: [JinjaExpr?] = [nil]
                var isSlice = false
                while !take("]") {
                    if take(":") { isSlice = true; parts.append(nil); continue }
                    parts[parts.count - 1] = try conditional()
                }
                if isSlice {
                    while parts.count < 3 { parts.append(nil) }
                    e = .slice(e, parts[0], parts[1], parts[2], offset: o)
                } else {
                    guard let index = parts[0] else { throw fail("an index is missing") }
                    e = .index(e, index, offset: o)
                }
            } else if current.kind == .op && current.text == "(" {
                let (args, kwargs) = try arguments()
                e = .call(e, args, kwargs, offset: o)
            } else if take("|") {
                guard current.kind == .name else { throw fail("expected a filter name after '|'") }
                let name = current.text; i += 1
                var args: [JinjaExpr] = [], kwargs: [(String, JinjaExpr)] = []
                if current.kind == .op && current.text == "(" { (args, kwargs) = try arguments() }
                e = .filter(e, name, args, kwargs, offset: o)
            } else if current.kind == .name && current.text == "is" {
                i += 1
                let negated = current.kind == .name && current.text == "not"
                if negated { i += 1 }
                guard current.kind == .name else { throw fail("expected a test name after 'is'") }
                let name = current.text; i += 1
                e = .test(e, name, negated: negated, offset: o)
            } else {
                return e
            }
        }
    }

    mutating func arguments() throws -> ([JinjaExpr], [(String, JinjaExpr)]) {
        try expect("(")
        var args: [JinjaExpr] = [], kwargs: [(String, JinjaExpr)] = []
        while !take(")") {
            if current.kind == .name && i + 1 < tokens.count && tokens[i + 1].text == "=" && tokens[i + 1].kind == .op {
                let key = current.text; i += 2
                kwargs.append((key, try conditional()))
            } else {
                args.append(try conditional())
            }
            if !take(",") { try expect(")"); break }
        }
        return (args, kwargs)
    }
}
