package jsonata

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

type tokKind int

const (
	tkEnd tokKind = iota
	tkOperator
	tkName
	tkVariable
	tkString
	tkNumber
	tkValue
	tkRegex
)

type token struct {
	kind  tokKind
	value any // string for operators, names, variables, strings; float64; bool or null
	pos   int
}

type lexer struct {
	src string
	pos int
}

const operatorChars = ".[]{}(),@#;:?+-*/%|=<>^&!~"

func isOpChar(c byte) bool { return strings.IndexByte(operatorChars, c) >= 0 }

func isWS(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v'
}

func (l *lexer) next(infix bool) token {
	src := l.src
	for {
		for l.pos < len(src) && isWS(src[l.pos]) {
			l.pos++
		}
		if l.pos+1 < len(src) && src[l.pos] == '/' && src[l.pos+1] == '*' {
			start := l.pos
			end := strings.Index(src[l.pos+2:], "*/")
			if end < 0 {
				panic(&Error{Code: "S0106", Position: start})
			}
			l.pos += 2 + end + 2
			continue
		}
		break
	}
	if l.pos >= len(src) {
		return token{kind: tkEnd, pos: l.pos}
	}
	c := src[l.pos]
	if !infix && c == '/' {
		l.pos++
		return l.scanRegex()
	}
	if l.pos+1 < len(src) {
		two := src[l.pos : l.pos+2]
		switch two {
		case "..", ":=", "!=", ">=", "<=", "**", "~>":
			l.pos += 2
			return token{kind: tkOperator, value: two, pos: l.pos}
		}
	}
	if isOpChar(c) {
		l.pos++
		return token{kind: tkOperator, value: string(c), pos: l.pos}
	}
	if c == '"' || c == '\'' {
		return l.scanString(c)
	}
	if c >= '0' && c <= '9' {
		start := l.pos
		i := l.pos
		if src[i] == '0' {
			i++
		} else {
			for i < len(src) && src[i] >= '0' && src[i] <= '9' {
				i++
			}
		}
		if i+1 < len(src) && src[i] == '.' && src[i+1] >= '0' && src[i+1] <= '9' {
			i++
			for i < len(src) && src[i] >= '0' && src[i] <= '9' {
				i++
			}
		}
		if i < len(src) && (src[i] == 'e' || src[i] == 'E') {
			j := i + 1
			if j < len(src) && (src[j] == '+' || src[j] == '-') {
				j++
			}
			if j < len(src) && src[j] >= '0' && src[j] <= '9' {
				for j < len(src) && src[j] >= '0' && src[j] <= '9' {
					j++
				}
				i = j
			}
		}
		f, err := strconv.ParseFloat(src[start:i], 64)
		if err != nil || math.IsInf(f, 0) {
			panic(&Error{Code: "S0102", Position: start, Token: src[start:i], hasToken: true})
		}
		l.pos = i
		return token{kind: tkNumber, value: f, pos: l.pos}
	}
	if c == '`' {
		end := strings.IndexByte(src[l.pos+1:], '`')
		if end < 0 {
			panic(&Error{Code: "S0105", Position: l.pos})
		}
		name := src[l.pos+1 : l.pos+1+end]
		l.pos += end + 2
		return token{kind: tkName, value: name, pos: l.pos}
	}
	i := l.pos
	for i < len(src) && !isWS(src[i]) && !isOpChar(src[i]) {
		i++
	}
	name := src[l.pos:i]
	l.pos = i
	if name[0] == '$' {
		return token{kind: tkVariable, value: name[1:], pos: l.pos}
	}
	switch name {
	case "and", "or", "in":
		return token{kind: tkOperator, value: name, pos: l.pos}
	case "true":
		return token{kind: tkValue, value: true, pos: l.pos}
	case "false":
		return token{kind: tkValue, value: false, pos: l.pos}
	case "null":
		return token{kind: tkValue, value: null, pos: l.pos}
	}
	return token{kind: tkName, value: name, pos: l.pos}
}

func (l *lexer) scanString(q byte) token {
	src := l.src
	start := l.pos
	l.pos++
	var b strings.Builder
	for l.pos < len(src) {
		c := src[l.pos]
		if c == '\\' {
			l.pos++
			if l.pos >= len(src) {
				break
			}
			e := src[l.pos]
			switch e {
			case '"', '\\', '/', '\'':
				if e == '\'' {
					panic(&Error{Code: "S0103", Position: l.pos, Token: "'", hasToken: true})
				}
				b.WriteByte(e)
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'u':
				r, ok := hex4(src, l.pos+1)
				if !ok {
					panic(&Error{Code: "S0104", Position: l.pos})
				}
				l.pos += 4
				if r >= 0xD800 && r < 0xDC00 && l.pos+6 < len(src) && src[l.pos+1] == '\\' && src[l.pos+2] == 'u' {
					if r2, ok := hex4(src, l.pos+3); ok && r2 >= 0xDC00 && r2 < 0xE000 {
						l.pos += 6
						r = 0x10000 + (r-0xD800)<<10 + (r2 - 0xDC00)
					}
				}
				writeRuneWTF8(&b, r)
			default:
				_, sz := utf8.DecodeRuneInString(src[l.pos:])
				panic(&Error{Code: "S0103", Position: l.pos, Token: src[l.pos : l.pos+sz], hasToken: true})
			}
			l.pos++
			continue
		}
		if c == q {
			l.pos++
			return token{kind: tkString, value: b.String(), pos: l.pos}
		}
		b.WriteByte(c)
		l.pos++
	}
	panic(&Error{Code: "S0101", Position: start})
}

func (l *lexer) scanRegex() token {
	src := l.src
	start := l.pos
	depth := 0
	closing := func(p int) bool {
		if src[p] == '/' && depth == 0 {
			bs := 0
			for p-(bs+1) >= 0 && src[p-(bs+1)] == '\\' {
				bs++
			}
			return bs%2 == 0
		}
		return false
	}
	for l.pos < len(src) {
		c := src[l.pos]
		if closing(l.pos) {
			pattern := src[start:l.pos]
			if pattern == "" {
				panic(&Error{Code: "S0301", Position: l.pos})
			}
			l.pos++
			fs := l.pos
			for l.pos < len(src) && (src[l.pos] == 'i' || src[l.pos] == 'm') {
				l.pos++
			}
			return token{kind: tkRegex, value: regexLiteral{pattern: pattern, flags: src[fs:l.pos]}, pos: l.pos}
		}
		prevBS := l.pos > 0 && src[l.pos-1] == '\\'
		if (c == '(' || c == '[' || c == '{') && !prevBS {
			depth++
		}
		if (c == ')' || c == ']' || c == '}') && !prevBS {
			depth--
		}
		l.pos++
	}
	panic(&Error{Code: "S0302", Position: l.pos})
}

type regexLiteral struct {
	pattern string
	flags   string
}
