package jsonata

import (
	"strconv"

	"github.com/dlclark/regexp2"
)

type nodeType uint8

const (
	ntNone nodeType = iota
	ntPath
	ntBinary
	ntUnary
	ntName
	ntString
	ntNumber
	ntValue
	ntWildcard
	ntDescendant
	ntParent
	ntCondition
	ntBlock
	ntBind
	ntRegex
	ntFunction
	ntPartial
	ntVariable
	ntLambda
	ntApply
	ntTransform
	ntSort
	ntOperator
	ntEnd
)

var nodeTypeNames = [...]string{"", "path", "binary", "unary", "name", "string", "number", "value", "wildcard",
	"descendant", "parent", "condition", "block", "bind", "regex", "function", "partial", "variable", "lambda",
	"apply", "transform", "sort", "operator", "end"}

type slot struct {
	label string
	level int
	index int
}

type stage struct {
	filter bool // else index
	expr   *node
	name   string
	pos    int
}

type sortTerm struct {
	descending bool
	expr       *node
}

type groupExpr struct {
	pairs [][2]*node
	pos   int
}

type node struct {
	typ   nodeType
	id    string // parser symbol id
	value any    // operator/name/variable string, literal value
	pos   int

	lhs, rhs *node
	expr     *node   // unary operand
	exprs    []*node // array constructor items, block expressions
	pairs    [][2]*node
	sortRaw  []sortTerm // raw order-by terms

	proc   *node
	args   []*node
	params []string
	body   *node
	sig    *signature
	thunk  bool

	cond, then, els      *node
	pattern, update, del *node
	steps                []*node
	keepSingletonArray   bool
	predicate            []*stage
	stages               []*stage
	group                *groupExpr
	focus                string
	index                string
	tuple                bool
	ancestor             *slot
	keepArray            bool
	consarray            bool
	seekingParent        []*slot
	slot                 *slot
	terms                []sortTerm
	re                   *regexp2.Regexp
	reSrc                string
	hasFocus, hasIndex   bool
}

func (n *node) str() string {
	s, _ := n.value.(string)
	return s
}

var bindingPowers = map[string]int{
	".": 75, "[": 80, "]": 0, "{": 70, "}": 0, "(": 80, ")": 0, ",": 0, "@": 80, "#": 80, ";": 0, ":": 0, "?": 20,
	"+": 50, "-": 50, "*": 60, "/": 60, "%": 60, "|": 0, "=": 40, "<": 40, ">": 40, "^": 40, "**": 0, "..": 0,
	":=": 10, "!=": 40, "<=": 40, ">=": 40, "~>": 40, "and": 30, "or": 25, "in": 40, "&": 50,
}

// maxParseDepth bounds the nesting of an expression.
const maxParseDepth = 500

type parser struct {
	lx    lexer
	node  *node
	depth int

	ancestorLabel int
	ancestorIndex int
	ancestry      []*node
}

func (p *parser) fail(code string, pos int, tok any) {
	e := &Error{Code: code, Position: pos}
	if tok != nil {
		e.Token = tokenString(tok)
		e.hasToken = true
	}
	panic(e)
}

func tokenString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return FormatNumber(x)
	case bool:
		return strconv.FormatBool(x)
	case nullT:
		return "null"
	case regexLiteral:
		return "/" + x.pattern + "/"
	}
	return ""
}

func (p *parser) advance(id string, infix bool) *node {
	if id != "" && p.node.id != id {
		code := "S0202"
		if p.node.id == "(end)" {
			code = "S0203"
		}
		e := &Error{Code: code, Position: p.node.pos, Token: tokenString(p.node.value), hasToken: true, Value: id}
		panic(e)
	}
	t := p.lx.next(infix)
	n := &node{pos: t.pos, value: t.value}
	switch t.kind {
	case tkEnd:
		n.id = "(end)"
		n.typ = ntEnd
		n.value = "(end)"
	case tkName:
		n.id = "(name)"
		n.typ = ntName
	case tkVariable:
		n.id = "(name)"
		n.typ = ntVariable
	case tkString:
		n.id = "(literal)"
		n.typ = ntString
	case tkNumber:
		n.id = "(literal)"
		n.typ = ntNumber
	case tkValue:
		n.id = "(literal)"
		n.typ = ntValue
	case tkRegex:
		n.id = "(regex)"
		n.typ = ntRegex
	case tkOperator:
		op := t.value.(string)
		if _, ok := bindingPowers[op]; !ok {
			p.fail("S0204", t.pos, op)
		}
		n.id = op
		n.typ = ntOperator
	}
	p.node = n
	return n
}

func (p *parser) lbp(n *node) int {
	if n.typ == ntOperator {
		return bindingPowers[n.id]
	}
	return 0
}

func (p *parser) expression(rbp int) *node {
	p.depth++
	if p.depth > maxParseDepth {
		panic(&Error{Code: "U1001", Position: p.node.pos, Message: "expression nested too deeply"})
	}
	t := p.node
	p.advance("", true)
	left := p.nud(t)
	for rbp < p.lbp(p.node) {
		t = p.node
		p.advance("", false)
		left = p.led(t, left)
	}
	p.depth--
	return left
}

func (p *parser) nud(t *node) *node {
	switch t.id {
	case "(name)", "(literal)", "(end)", "and", "or", "in":
		return t
	case "(regex)":
		lit := t.value.(regexLiteral)
		t.reSrc = lit.pattern
		opts := regexp2.RegexOptions(regexp2.ECMAScript)
		for _, f := range lit.flags {
			switch f {
			case 'i':
				opts |= regexp2.IgnoreCase
			case 'm':
				opts |= regexp2.Multiline
			}
		}
		re, err := regexp2.Compile(lit.pattern, opts)
		if err != nil {
			// fall back to .NET syntax for constructs ECMAScript mode rejects
			re, err = regexp2.Compile(lit.pattern, opts&^regexp2.ECMAScript)
			if err != nil {
				panic(&Error{Code: "S0303", Position: t.pos, Token: lit.pattern, hasToken: true, Message: "invalid regular expression: " + err.Error()})
			}
		}
		re.MatchTimeout = regexTimeout
		t.re = re
		return t
	case "-":
		t.typ = ntUnary
		t.expr = p.expression(70)
		return t
	case "*":
		t.typ = ntWildcard
		return t
	case "**":
		t.typ = ntDescendant
		return t
	case "%":
		t.typ = ntParent
		return t
	case "(":
		var exprs []*node
		for p.node.id != ")" {
			exprs = append(exprs, p.expression(0))
			if p.node.id != ";" {
				break
			}
			p.advance(";", false)
		}
		p.advance(")", true)
		t.typ = ntBlock
		t.exprs = exprs
		return t
	case "[":
		var items []*node
		if p.node.id != "]" {
			for {
				item := p.expression(0)
				if p.node.id == ".." {
					r := &node{typ: ntBinary, value: "..", pos: p.node.pos, lhs: item}
					p.advance("..", false)
					r.rhs = p.expression(0)
					item = r
				}
				items = append(items, item)
				if p.node.id != "," {
					break
				}
				p.advance(",", false)
			}
		}
		p.advance("]", true)
		t.exprs = items
		t.typ = ntUnary
		return t
	case "{":
		t.pairs = p.objectPairs()
		t.typ = ntUnary
		return t
	case "|":
		t.typ = ntTransform
		t.pattern = p.expression(0)
		p.advance("|", false)
		t.update = p.expression(0)
		if p.node.id == "," {
			p.advance(",", false)
			t.del = p.expression(0)
		}
		p.advance("|", false)
		return t
	}
	p.fail("S0211", t.pos, t.value)
	return nil
}

func (p *parser) objectPairs() [][2]*node {
	var pairs [][2]*node
	if p.node.id != "}" {
		for {
			n := p.expression(0)
			p.advance(":", false)
			v := p.expression(0)
			pairs = append(pairs, [2]*node{n, v})
			if p.node.id != "," {
				break
			}
			p.advance(",", false)
		}
	}
	p.advance("}", true)
	return pairs
}

func (p *parser) led(t *node, left *node) *node {
	switch t.id {
	case "(":
		t.proc = left
		t.typ = ntFunction
		if p.node.id != ")" {
			for {
				if p.node.typ == ntOperator && p.node.id == "?" {
					t.typ = ntPartial
					t.args = append(t.args, p.node)
					p.advance("?", false)
				} else {
					t.args = append(t.args, p.expression(0))
				}
				if p.node.id != "," {
					break
				}
				p.advance(",", false)
			}
		}
		p.advance(")", true)
		if left.typ == ntName && (left.str() == "function" || left.str() == "λ") {
			for i, a := range t.args {
				if a.typ != ntVariable {
					e := &Error{Code: "S0208", Position: a.pos, Token: tokenString(a.value), hasToken: true, Value: float64(i + 1)}
					panic(e)
				}
				t.params = append(t.params, a.str())
			}
			t.typ = ntLambda
			if p.node.id == "<" {
				sigPos := p.node.pos
				// read the raw signature text from the source
				start := sigPos - 1
				depth := 0
				i := start
				src := p.lx.src
				for i < len(src) {
					if src[i] == '<' {
						depth++
					} else if src[i] == '>' {
						depth--
						if depth == 0 {
							break
						}
					} else if src[i] == '{' {
						break
					}
					i++
				}
				if i >= len(src) || src[i] != '>' {
					p.fail("S0202", i, "{")
				}
				sigText := src[start : i+1]
				sig, err := parseSignature(sigText)
				if err != nil {
					err.Position = sigPos + err.Position
					panic(err)
				}
				t.sig = sig
				p.lx.pos = i + 1
				p.advance("", false)
			}
			p.advance("{", false)
			t.body = p.expression(0)
			p.advance("}", false)
		}
		return t
	case "[":
		if p.node.id == "]" {
			step := left
			for step != nil && step.typ == ntBinary && step.str() == "[" {
				step = step.lhs
			}
			step.keepArray = true
			p.advance("]", false)
			return left
		}
		t.lhs = left
		t.rhs = p.expression(0)
		t.typ = ntBinary
		p.advance("]", true)
		return t
	case "{":
		t.lhs = left
		t.pairs = p.objectPairs()
		t.typ = ntBinary
		return t
	case "^":
		p.advance("(", false)
		var terms []sortTerm
		for {
			term := sortTerm{}
			if p.node.id == "<" {
				p.advance("<", false)
			} else if p.node.id == ">" {
				term.descending = true
				p.advance(">", false)
			}
			term.expr = p.expression(0)
			terms = append(terms, term)
			if p.node.id != "," {
				break
			}
			p.advance(",", false)
		}
		p.advance(")", false)
		t.lhs = left
		t.sortRaw = terms
		t.typ = ntBinary
		return t
	case ":=":
		if left.typ != ntVariable {
			p.fail("S0212", left.pos, left.value)
		}
		t.lhs = left
		t.rhs = p.expression(bindingPowers[":="] - 1)
		t.typ = ntBinary
		return t
	case "@", "#":
		t.lhs = left
		t.rhs = p.expression(bindingPowers[t.id])
		if t.rhs.typ != ntVariable {
			p.fail("S0214", t.rhs.pos, t.id)
		}
		t.typ = ntBinary
		return t
	case "?":
		t.typ = ntCondition
		t.cond = left
		t.then = p.expression(0)
		if p.node.id == ":" {
			p.advance(":", false)
			t.els = p.expression(0)
		}
		return t
	case ".", "+", "-", "*", "/", "%", "=", "<", ">", "!=", "<=", ">=", "&", "and", "or", "in", "~>":
		t.lhs = left
		t.rhs = p.expression(bindingPowers[t.id])
		t.typ = ntBinary
		return t
	}
	p.fail("S0201", t.pos, t.value)
	return nil
}

// Compile parses a JSONata expression. Syntax errors are returned as *Error.
func Compile(expr string) (e *Expr, err error) {
	defer func() {
		if r := recover(); r != nil {
			if je, ok := r.(*Error); ok {
				e, err = nil, je
				return
			}
			panic(r)
		}
	}()
	p := &parser{lx: lexer{src: expr}}
	p.advance("", false)
	ast := p.expression(0)
	if p.node.id != "(end)" {
		p.fail("S0201", p.node.pos, p.node.value)
	}
	ast = p.process(ast)
	if ast.typ == ntParent || ast.seekingParent != nil {
		panic(&Error{Code: "S0217", Position: ast.pos, Token: nodeTypeNames[ast.typ], hasToken: true})
	}
	return &Expr{ast: ast, src: expr}, nil
}

// ---------- AST post-processing ----------

func (p *parser) process(expr *node) *node {
	p.depth++
	if p.depth > 4*maxParseDepth {
		panic(&Error{Code: "U1001", Position: expr.pos, Message: "expression nested too deeply"})
	}
	defer func() { p.depth-- }()
	var result *node
	switch expr.typ {
	case ntBinary:
		switch expr.str() {
		case ".":
			lstep := p.process(expr.lhs)
			if lstep.typ == ntPath {
				result = lstep
			} else {
				result = &node{typ: ntPath, steps: []*node{lstep}, pos: lstep.pos}
			}
			if lstep.typ == ntParent {
				result.seekingParent = []*slot{lstep.slot}
			}
			rest := p.process(expr.rhs)
			if rest.typ == ntPath {
				result.steps = append(result.steps, rest.steps...)
			} else {
				if rest.predicate != nil {
					rest.stages = rest.predicate
					rest.predicate = nil
				}
				result.steps = append(result.steps, rest)
			}
			for _, step := range result.steps {
				if step.typ == ntNumber || step.typ == ntValue {
					panic(&Error{Code: "S0213", Position: step.pos, Value: step.value})
				}
				if step.typ == ntString {
					step.typ = ntName
				}
			}
			for _, step := range result.steps {
				if step.keepArray {
					result.keepSingletonArray = true
				}
			}
			first := result.steps[0]
			if first.typ == ntUnary && first.str() == "[" {
				first.consarray = true
			}
			last := result.steps[len(result.steps)-1]
			if last.typ == ntUnary && last.str() == "[" {
				last.consarray = true
			}
			p.resolveAncestry(result)
		case "[":
			result = p.process(expr.lhs)
			step := result
			isStages := false
			if result.typ == ntPath {
				step = result.steps[len(result.steps)-1]
				isStages = true
			}
			if step.group != nil {
				panic(&Error{Code: "S0209", Position: expr.pos})
			}
			pred := p.process(expr.rhs)
			if pred.seekingParent != nil {
				for _, sl := range pred.seekingParent {
					if sl.level == 1 {
						p.seekParent(step, sl)
					} else {
						sl.level--
					}
				}
				p.pushAncestry(step, pred)
			}
			st := &stage{filter: true, expr: pred, pos: expr.pos}
			if isStages {
				step.stages = append(step.stages, st)
			} else {
				step.predicate = append(step.predicate, st)
			}
		case "{":
			result = p.process(expr.lhs)
			if result.group != nil {
				panic(&Error{Code: "S0210", Position: expr.pos})
			}
			g := &groupExpr{pos: expr.pos}
			for _, pair := range expr.pairs {
				g.pairs = append(g.pairs, [2]*node{p.process(pair[0]), p.process(pair[1])})
			}
			result.group = g
		case "^":
			result = p.process(expr.lhs)
			if result.typ != ntPath {
				result = &node{typ: ntPath, steps: []*node{result}, pos: result.pos}
			}
			sortStep := &node{typ: ntSort, pos: expr.pos}
			for _, term := range expr.sortRaw {
				e := p.process(term.expr)
				p.pushAncestry(sortStep, e)
				sortStep.terms = append(sortStep.terms, sortTerm{descending: term.descending, expr: e})
			}
			result.steps = append(result.steps, sortStep)
			p.resolveAncestry(result)
		case ":=":
			result = &node{typ: ntBind, value: ":=", pos: expr.pos}
			result.lhs = p.process(expr.lhs)
			result.rhs = p.process(expr.rhs)
			p.pushAncestry(result, result.rhs)
		case "@":
			result = p.process(expr.lhs)
			step := result
			if result.typ == ntPath {
				step = result.steps[len(result.steps)-1]
			}
			if step.stages != nil || step.predicate != nil {
				panic(&Error{Code: "S0215", Position: expr.pos, Token: "@", hasToken: true})
			}
			if step.typ == ntSort {
				panic(&Error{Code: "S0216", Position: expr.pos, Token: "@", hasToken: true})
			}
			if expr.keepArray {
				step.keepArray = true
			}
			step.focus = expr.rhs.str()
			step.hasFocus = true
			step.tuple = true
		case "#":
			result = p.process(expr.lhs)
			step := result
			if result.typ == ntPath {
				step = result.steps[len(result.steps)-1]
			} else {
				result = &node{typ: ntPath, steps: []*node{result}, pos: result.pos}
				if step.predicate != nil {
					step.stages = step.predicate
					step.predicate = nil
				}
			}
			if step.stages == nil {
				step.index = expr.rhs.str()
				step.hasIndex = true
			} else {
				step.stages = append(step.stages, &stage{name: expr.rhs.str(), pos: expr.pos})
			}
			step.tuple = true
		case "~>":
			result = &node{typ: ntApply, value: "~>", pos: expr.pos}
			result.lhs = p.process(expr.lhs)
			result.rhs = p.process(expr.rhs)
			result.keepArray = result.lhs.keepArray || result.rhs.keepArray
		default:
			result = &node{typ: ntBinary, value: expr.value, pos: expr.pos}
			result.lhs = p.process(expr.lhs)
			result.rhs = p.process(expr.rhs)
			p.pushAncestry(result, result.lhs)
			p.pushAncestry(result, result.rhs)
		}
	case ntUnary:
		result = &node{typ: ntUnary, value: expr.value, pos: expr.pos}
		switch expr.str() {
		case "[":
			result.exprs = []*node{}
			for _, item := range expr.exprs {
				v := p.process(item)
				p.pushAncestry(result, v)
				result.exprs = append(result.exprs, v)
			}
		case "{":
			for _, pair := range expr.pairs {
				k := p.process(pair[0])
				p.pushAncestry(result, k)
				v := p.process(pair[1])
				p.pushAncestry(result, v)
				result.pairs = append(result.pairs, [2]*node{k, v})
			}
		default:
			result.expr = p.process(expr.expr)
			if expr.str() == "-" && result.expr.typ == ntNumber {
				result = result.expr
				result.value = -result.value.(float64)
			} else {
				p.pushAncestry(result, result.expr)
			}
		}
	case ntFunction, ntPartial:
		result = &node{typ: expr.typ, value: expr.value, pos: expr.pos}
		for _, a := range expr.args {
			an := p.process(a)
			p.pushAncestry(result, an)
			result.args = append(result.args, an)
		}
		result.proc = p.process(expr.proc)
	case ntLambda:
		result = &node{typ: ntLambda, params: expr.params, sig: expr.sig, pos: expr.pos}
		body := p.process(expr.body)
		result.body = tailCallOptimize(body)
	case ntCondition:
		result = &node{typ: ntCondition, pos: expr.pos}
		result.cond = p.process(expr.cond)
		p.pushAncestry(result, result.cond)
		result.then = p.process(expr.then)
		p.pushAncestry(result, result.then)
		if expr.els != nil {
			result.els = p.process(expr.els)
			p.pushAncestry(result, result.els)
		}
	case ntTransform:
		result = &node{typ: ntTransform, pos: expr.pos}
		result.pattern = p.process(expr.pattern)
		result.update = p.process(expr.update)
		if expr.del != nil {
			result.del = p.process(expr.del)
		}
	case ntBlock:
		result = &node{typ: ntBlock, pos: expr.pos}
		for _, item := range expr.exprs {
			part := p.process(item)
			p.pushAncestry(result, part)
			if part.consarray || (part.typ == ntPath && part.steps[0].consarray) {
				result.consarray = true
			}
			result.exprs = append(result.exprs, part)
		}
	case ntName:
		result = &node{typ: ntPath, steps: []*node{expr}, pos: expr.pos}
		if expr.keepArray {
			result.keepSingletonArray = true
		}
	case ntParent:
		result = &node{typ: ntParent, pos: expr.pos, slot: &slot{label: "!" + strconv.Itoa(p.ancestorLabel), level: 1, index: p.ancestorIndex}}
		p.ancestorLabel++
		p.ancestorIndex++
		p.ancestry = append(p.ancestry, result)
	case ntString, ntNumber, ntValue, ntWildcard, ntDescendant, ntVariable, ntRegex:
		result = expr
	case ntOperator:
		switch expr.str() {
		case "and", "or", "in":
			expr.typ = ntName
			result = p.process(expr)
		case "?":
			result = expr
		default:
			panic(&Error{Code: "S0201", Position: expr.pos, Token: expr.str(), hasToken: true})
		}
	default:
		code := "S0206"
		if expr.id == "(end)" {
			code = "S0207"
		}
		panic(&Error{Code: code, Position: expr.pos, Token: tokenString(expr.value), hasToken: true})
	}
	if expr.keepArray {
		result.keepArray = true
	}
	return result
}

func tailCallOptimize(expr *node) *node {
	switch {
	case expr.typ == ntFunction && expr.predicate == nil:
		return &node{typ: ntLambda, thunk: true, pos: expr.pos, body: expr}
	case expr.typ == ntCondition:
		expr.then = tailCallOptimize(expr.then)
		if expr.els != nil {
			expr.els = tailCallOptimize(expr.els)
		}
	case expr.typ == ntBlock:
		if n := len(expr.exprs); n > 0 {
			expr.exprs[n-1] = tailCallOptimize(expr.exprs[n-1])
		}
	}
	return expr
}

func (p *parser) seekParent(n *node, sl *slot) *slot {
	switch n.typ {
	case ntName, ntWildcard:
		sl.level--
		if sl.level == 0 {
			if n.ancestor == nil {
				n.ancestor = sl
			} else {
				p.ancestry[sl.index].slot.label = n.ancestor.label
				n.ancestor = sl
			}
			n.tuple = true
		}
	case ntParent:
		sl.level++
	case ntBlock:
		if len(n.exprs) > 0 {
			n.tuple = true
			sl = p.seekParent(n.exprs[len(n.exprs)-1], sl)
		}
	case ntPath:
		n.tuple = true
		index := len(n.steps) - 1
		sl = p.seekParent(n.steps[index], sl)
		index--
		for sl.level > 0 && index >= 0 {
			sl = p.seekParent(n.steps[index], sl)
			index--
		}
	default:
		panic(&Error{Code: "S0217", Position: n.pos, Token: nodeTypeNames[n.typ], hasToken: true})
	}
	return sl
}

func (p *parser) pushAncestry(result, value *node) {
	if value.seekingParent != nil || value.typ == ntParent {
		slots := value.seekingParent
		if value.typ == ntParent {
			slots = append(slots, value.slot)
		}
		result.seekingParent = append(result.seekingParent, slots...)
	}
}

func (p *parser) resolveAncestry(path *node) {
	index := len(path.steps) - 1
	last := path.steps[index]
	slots := last.seekingParent
	if last.typ == ntParent {
		slots = append(slots, last.slot)
	}
	for _, sl := range slots {
		index = len(path.steps) - 2
		for sl.level > 0 {
			if index < 0 {
				path.seekingParent = append(path.seekingParent, sl)
				break
			}
			step := path.steps[index]
			index--
			for index >= 0 && step.hasFocus && path.steps[index].hasFocus {
				step = path.steps[index]
				index--
			}
			sl = p.seekParent(step, sl)
		}
	}
}
