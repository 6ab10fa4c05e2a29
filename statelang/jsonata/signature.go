package jsonata

import (
	"regexp"
	"strings"
)

type sigParam struct {
	regex        string
	typ          string
	array        bool
	context      bool
	contextRegex *regexp.Regexp
	subtype      string
}

type signature struct {
	def    string
	params []*sigParam
	re     *regexp.Regexp
}

var sigCache = map[string]*signature{}

func mustSig(s string) *signature {
	if sig, ok := sigCache[s]; ok {
		return sig
	}
	sig, err := parseSignature(s)
	if err != nil {
		panic(err)
	}
	sigCache[s] = sig
	return sig
}

func findClosing(s string, start int, open, close byte) int {
	depth := 1
	pos := start
	for pos < len(s) {
		pos++
		if pos >= len(s) {
			break
		}
		c := s[pos]
		if c == close {
			depth--
			if depth == 0 {
				break
			}
		} else if c == open {
			depth++
		}
	}
	return pos
}

// parseSignature parses a function signature such as "<n-n:n>". The
// position of an error is relative to the start of the signature.
func parseSignature(s string) (*signature, *Error) {
	sig := &signature{def: s}
	position := 1
	param := &sigParam{}
	prev := param
	next := func() {
		sig.params = append(sig.params, param)
		prev = param
		param = &sigParam{}
	}
	for position < len(s) {
		c := s[position]
		if c == ':' {
			break
		}
		switch c {
		case 's', 'n', 'b', 'l', 'o':
			param.regex = "[" + string(c) + "m]"
			param.typ = string(c)
			next()
		case 'a':
			param.regex = "[asnblfom]"
			param.typ = "a"
			param.array = true
			next()
		case 'f':
			param.regex = "f"
			param.typ = "f"
			next()
		case 'j':
			param.regex = "[asnblom]"
			param.typ = "j"
			next()
		case 'x':
			param.regex = "[asnblfom]"
			param.typ = "x"
			next()
		case '-':
			prev.context = true
			re, err := regexp.Compile(prev.regex)
			if err == nil {
				prev.contextRegex = re
			}
			prev.regex += "?"
		case '?', '+':
			prev.regex += string(c)
		case '(':
			end := findClosing(s, position, '(', ')')
			if end >= len(s) {
				end = len(s) - 1
			}
			choice := s[position+1 : end]
			if strings.IndexByte(choice, '<') >= 0 {
				return nil, &Error{Code: "S0402", Value: choice, Position: position}
			}
			param.regex = "[" + choice + "m]"
			param.typ = "(" + choice + ")"
			position = end
			next()
		case '<':
			if prev.typ == "a" || prev.typ == "f" {
				end := findClosing(s, position, '<', '>')
				if end >= len(s) {
					end = len(s) - 1
				}
				prev.subtype = s[position+1 : end]
				position = end
			} else {
				return nil, &Error{Code: "S0401", Value: prev.typ, Position: position}
			}
		}
		position++
	}
	var b strings.Builder
	b.WriteByte('^')
	for _, p := range sig.params {
		b.WriteString("(")
		b.WriteString(p.regex)
		b.WriteString(")")
	}
	b.WriteByte('$')
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, &Error{Code: "S0401", Value: s, Position: 0}
	}
	sig.re = re
	return sig, nil
}

func typeSymbol(v any) byte {
	switch x := v.(type) {
	case nil:
		return 'm'
	case string:
		return 's'
	case float64:
		return 'n'
	case bool:
		return 'b'
	case nullT:
		return 'l'
	case *array:
		return 'a'
	case *Object, *tuple:
		return 'o'
	case *builtin, *lambda, *partialNative:
		return 'f'
	default:
		_ = x
		return 'o'
	}
}

var arraySigNames = map[string]string{"a": "arrays", "b": "booleans", "f": "functions", "n": "numbers", "o": "objects", "s": "strings"}

func (sig *signature) validate(args []any, context any) ([]any, *Error) {
	sb := make([]byte, len(args))
	for i, a := range args {
		sb[i] = typeSymbol(a)
	}
	supplied := string(sb)
	m := sig.re.FindStringSubmatchIndex(supplied)
	if m == nil {
		return nil, sig.validationError(args, supplied)
	}
	validated := make([]any, 0, len(sig.params))
	argIndex := 0
	for index, param := range sig.params {
		match := ""
		if m[2*(index+1)] >= 0 {
			match = supplied[m[2*(index+1)]:m[2*(index+1)+1]]
		}
		if match == "" {
			if param.context && param.contextRegex != nil {
				ct := string(typeSymbol(context))
				if param.contextRegex.MatchString(ct) {
					validated = append(validated, context)
				} else {
					return nil, &Error{Code: "T0411", Value: context, Index: argIndex + 1, Position: -1}
				}
			} else {
				var arg any
				if argIndex < len(args) {
					arg = args[argIndex]
				}
				validated = append(validated, arg)
				argIndex++
			}
			continue
		}
		for i := 0; i < len(match); i++ {
			single := match[i]
			arg := args[argIndex]
			if param.typ == "a" {
				if single == 'm' {
					arg = nil
				} else {
					ok := true
					if param.subtype != "" {
						if single != 'a' && match != param.subtype {
							ok = false
						} else if single == 'a' {
							arr := arg.(*array)
							if len(arr.items) > 0 {
								it := typeSymbol(arr.items[0])
								if it != param.subtype[0] {
									ok = false
								} else {
									for _, v := range arr.items {
										if typeSymbol(v) != it {
											ok = false
											break
										}
									}
								}
							}
						}
					}
					if !ok {
						return nil, &Error{Code: "T0412", Value: arg, Index: argIndex + 1, Position: -1, typeName: arraySigNames[param.subtype]}
					}
					if single != 'a' {
						arg = &array{items: []any{arg}}
					}
				}
			}
			validated = append(validated, arg)
			argIndex++
		}
	}
	return validated, nil
}

func (sig *signature) validationError(args []any, supplied string) *Error {
	partial := "^"
	goodTo := 0
	for _, p := range sig.params {
		partial += p.regex
		re, err := regexp.Compile(partial)
		if err != nil {
			break
		}
		loc := re.FindStringIndex(supplied)
		if loc == nil {
			var v any
			if goodTo < len(args) {
				v = args[goodTo]
			}
			return &Error{Code: "T0410", Value: v, Index: goodTo + 1, Position: -1}
		}
		goodTo = loc[1]
	}
	var v any
	if goodTo < len(args) {
		v = args[goodTo]
	}
	return &Error{Code: "T0410", Value: v, Index: goodTo + 1, Position: -1}
}
