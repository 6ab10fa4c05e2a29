package jsonata

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// ---------- integer pictures ($formatInteger, $parseInteger) ----------

type intFormatKind int

const (
	fmtDecimal intFormatKind = iota
	fmtLetters
	fmtRoman
	fmtWords
	fmtSequence
)

type textCase int

const (
	caseLower textCase = iota
	caseUpper
	caseTitle
)

type groupSep struct {
	position  int
	character string
}

type intFormat struct {
	primary         intFormatKind
	tcase           textCase
	ordinal         bool
	zeroCode        rune
	mandatoryDigits int
	optionalDigits  int
	regular         bool
	regularSep      groupSep
	separators      []groupSep
	token           string
	n               int
}

var decimalGroups = []rune{0x30, 0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6,
	0x0D66, 0x0DE6, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90, 0x1B50, 0x1BB0,
	0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

func regularRepeat(positions []int) int {
	if len(positions) == 0 {
		return 0
	}
	factor := positions[0]
	for _, p := range positions[1:] {
		factor = gcd(factor, p)
	}
	if factor == 0 {
		return 0
	}
	for i := 1; i <= len(positions); i++ {
		found := false
		for _, p := range positions {
			if p == i*factor {
				found = true
				break
			}
		}
		if !found {
			return 0
		}
	}
	return factor
}

func analyseIntegerPicture(picture string) *intFormat {
	f := &intFormat{primary: fmtDecimal, tcase: caseLower}
	primary := picture
	if semi := strings.LastIndexByte(picture, ';'); semi >= 0 {
		primary = picture[:semi]
		mod := picture[semi+1:]
		if strings.HasPrefix(mod, "o") {
			f.ordinal = true
		}
	}
	switch primary {
	case "A":
		f.tcase = caseUpper
		f.primary = fmtLetters
	case "a":
		f.primary = fmtLetters
	case "I":
		f.tcase = caseUpper
		f.primary = fmtRoman
	case "i":
		f.primary = fmtRoman
	case "W":
		f.tcase = caseUpper
		f.primary = fmtWords
	case "Ww":
		f.tcase = caseTitle
		f.primary = fmtWords
	case "w":
		f.primary = fmtWords
	default:
		zero := rune(-1)
		mandatory, optional, sepPos := 0, 0, 0
		var seps []groupSep
		runes := []rune(primary)
		for i := len(runes) - 1; i >= 0; i-- {
			cp := runes[i]
			digit := false
			for _, g := range decimalGroups {
				if cp >= g && cp <= g+9 {
					digit = true
					mandatory++
					sepPos++
					if zero < 0 {
						zero = g
					} else if g != zero {
						throw("D3131", nil)
					}
					break
				}
			}
			if !digit {
				if cp == '#' {
					sepPos++
					optional++
				} else {
					seps = append(seps, groupSep{position: sepPos, character: string(cp)})
				}
			}
		}
		if mandatory > 0 {
			f.primary = fmtDecimal
			f.zeroCode = zero
			f.mandatoryDigits = mandatory
			f.optionalDigits = optional
			reg := 0
			if len(seps) > 0 {
				same := true
				for _, s := range seps[1:] {
					if s.character != seps[0].character {
						same = false
					}
				}
				if same {
					pos := make([]int, len(seps))
					for i, s := range seps {
						pos[i] = s.position
					}
					reg = regularRepeat(pos)
				}
			}
			if reg > 0 {
				f.regular = true
				f.regularSep = groupSep{position: reg, character: seps[0].character}
			} else {
				f.separators = seps
			}
		} else {
			f.primary = fmtSequence
			f.token = primary
		}
	}
	return f
}

var fewWords = []string{"Zero", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten", "Eleven", "Twelve",
	"Thirteen", "Fourteen", "Fifteen", "Sixteen", "Seventeen", "Eighteen", "Nineteen"}
var ordinalWords = []string{"Zeroth", "First", "Second", "Third", "Fourth", "Fifth", "Sixth", "Seventh", "Eighth", "Ninth", "Tenth",
	"Eleventh", "Twelfth", "Thirteenth", "Fourteenth", "Fifteenth", "Sixteenth", "Seventeenth", "Eighteenth", "Nineteenth"}
var decadeWords = []string{"Twenty", "Thirty", "Forty", "Fifty", "Sixty", "Seventy", "Eighty", "Ninety", "Hundred"}
var magnitudeWords = []string{"Thousand", "Million", "Billion", "Trillion"}

var wordValues = func() map[string]float64 {
	m := map[string]float64{}
	for i, w := range fewWords {
		m[strings.ToLower(w)] = float64(i)
	}
	for i, w := range ordinalWords {
		m[strings.ToLower(w)] = float64(i)
	}
	for i, w := range decadeWords {
		lw := strings.ToLower(w)
		m[lw] = float64((i + 2) * 10)
		m[lw[:len(lw)-1]+"ieth"] = m[lw]
	}
	m["hundredth"] = 100
	for i, w := range magnitudeWords {
		lw := strings.ToLower(w)
		v := math.Pow(10, float64((i+1)*3))
		m[lw] = v
		m[lw+"th"] = v
	}
	return m
}()

func numberToWords(value float64, ordinal bool) string {
	var lookup func(num float64, prev, ord bool) string
	lookup = func(num float64, prev, ord bool) string {
		words := ""
		switch {
		case num <= 19:
			if prev {
				words = " and "
			}
			if ord {
				words += ordinalWords[int(num)]
			} else {
				words += fewWords[int(num)]
			}
		case num < 100:
			tens := int(num / 10)
			rem := math.Mod(num, 10)
			if prev {
				words = " and "
			}
			words += decadeWords[tens-2]
			if rem > 0 {
				words += "-" + lookup(rem, false, ord)
			} else if ord {
				words = words[:len(words)-1] + "ieth"
			}
		case num < 1000:
			hundreds := int(num / 100)
			rem := math.Mod(num, 100)
			if prev {
				words = ", "
			}
			words += fewWords[hundreds] + " Hundred"
			if rem > 0 {
				words += lookup(rem, true, ord)
			} else if ord {
				words += "th"
			}
		default:
			mag := int(math.Floor(math.Log10(num) / 3))
			if mag > len(magnitudeWords) {
				mag = len(magnitudeWords)
			}
			factor := math.Pow(10, float64(mag*3))
			mant := math.Floor(num / factor)
			rem := num - mant*factor
			if prev {
				words = ", "
			}
			words += lookup(mant, false, false) + " " + magnitudeWords[mag-1]
			if rem > 0 {
				words += lookup(rem, true, ord)
			} else if ord {
				words += "th"
			}
		}
		return words
	}
	return lookup(value, false, ordinal)
}

var wordSplitRe = regexp.MustCompile(`,\s|\sand\s|[\s\\-]`)

func wordsToNumber(text string) float64 {
	parts := wordSplitRe.Split(text, -1)
	segs := []float64{0}
	for _, p := range parts {
		v, ok := wordValues[p]
		if !ok {
			v = math.NaN()
		}
		if v < 100 || math.IsNaN(v) {
			top := segs[len(segs)-1]
			segs = segs[:len(segs)-1]
			if top >= 1000 {
				segs = append(segs, top)
				top = 0
			}
			segs = append(segs, top+v)
		} else {
			segs[len(segs)-1] *= v
		}
	}
	total := 0.0
	for _, s := range segs {
		total += s
	}
	return total
}

var romanNumerals = []struct {
	v int
	s string
}{{1000, "m"}, {900, "cm"}, {500, "d"}, {400, "cd"}, {100, "c"}, {90, "xc"}, {50, "l"}, {40, "xl"}, {10, "x"}, {9, "ix"}, {5, "v"}, {4, "iv"}, {1, "i"}}

func decimalToRoman(v float64) string {
	var b strings.Builder
	for v > 0 {
		found := false
		for _, n := range romanNumerals {
			if v >= float64(n.v) {
				b.WriteString(n.s)
				v -= float64(n.v)
				found = true
				break
			}
		}
		if !found {
			break
		}
		if b.Len() > 100000 {
			throw("D3130", v)
		}
	}
	return b.String()
}

var romanValues = map[byte]float64{'M': 1000, 'D': 500, 'C': 100, 'L': 50, 'X': 10, 'V': 5, 'I': 1}

func romanToDecimal(s string) float64 {
	dec := 0.0
	max := 1.0
	for i := len(s) - 1; i >= 0; i-- {
		v := romanValues[s[i]]
		if v < max {
			dec -= v
		} else {
			max = v
			dec += v
		}
	}
	return dec
}

func decimalToLetters(v float64, a byte) string {
	var letters []byte
	for v > 0 {
		letters = append([]byte{byte(math.Mod(v-1, 26)) + a}, letters...)
		v = math.Floor((v - 1) / 26)
	}
	return string(letters)
}

func lettersToDecimal(s string, a byte) float64 {
	dec := 0.0
	for i := 0; i < len(s); i++ {
		dec += float64(int(s[len(s)-i-1])-int(a)+1) * math.Pow(26, float64(i))
	}
	return dec
}

func formatInteger(v float64, picture string) any {
	v = math.Floor(v)
	f := analyseIntegerPicture(picture)
	return formatIntegerSpec(v, f)
}

func formatIntegerSpec(value float64, f *intFormat) string {
	negative := value < 0
	value = math.Abs(value)
	var s string
	switch f.primary {
	case fmtLetters:
		a := byte('a')
		if f.tcase == caseUpper {
			a = 'A'
		}
		s = decimalToLetters(value, a)
	case fmtRoman:
		s = decimalToRoman(value)
		if f.tcase == caseUpper {
			s = strings.ToUpper(s)
		}
	case fmtWords:
		s = numberToWords(value, f.ordinal)
		if f.tcase == caseUpper {
			s = strings.ToUpper(s)
		} else if f.tcase == caseLower {
			s = strings.ToLower(s)
		}
	case fmtDecimal:
		s = FormatNumber(value)
		if f.mandatoryDigits > 1_000_000 {
			panic(&Error{Code: "U1003", Position: -1, Message: "Size limit exceeded: too many digits in picture"})
		}
		if pad := f.mandatoryDigits - len(s); pad > 0 {
			s = strings.Repeat("0", pad) + s
		}
		if f.zeroCode != '0' {
			rs := []rune(s)
			for i, r := range rs {
				if r >= '0' && r <= '9' {
					rs[i] = r + f.zeroCode - '0'
				}
			}
			s = string(rs)
		}
		if f.regular {
			rs := []rune(s)
			n := (len(rs) - 1) / f.regularSep.position
			for ii := n; ii > 0; ii-- {
				pos := len(rs) - ii*f.regularSep.position
				rs = append(rs[:pos], append([]rune(f.regularSep.character), rs[pos:]...)...)
			}
			s = string(rs)
		} else {
			for i := len(f.separators) - 1; i >= 0; i-- {
				sep := f.separators[i]
				rs := []rune(s)
				pos := len(rs) - sep.position
				if pos < 0 {
					pos = 0
				}
				s = string(rs[:pos]) + sep.character + string(rs[pos:])
			}
		}
		if f.ordinal {
			rs := []rune(s)
			last := rs[len(rs)-1]
			suffix := map[rune]string{'1': "st", '2': "nd", '3': "rd"}[last]
			if suffix == "" || (len(rs) > 1 && rs[len(rs)-2] == '1') {
				suffix = "th"
			}
			s += suffix
		}
	case fmtSequence:
		throw("D3130", f.token)
	}
	if negative {
		s = "-" + s
	}
	return s
}

type matcher struct {
	regex     string
	parse     func(string) any
	component byte
}

func (f *intFormat) matcher() *matcher {
	m := &matcher{}
	isUpper := f.tcase == caseUpper
	occurrences := "+"
	if f.n > 0 {
		if f.optionalDigits == 0 {
			occurrences = "{" + strconv.Itoa(f.n) + "}"
		} else {
			occurrences = "{" + strconv.Itoa(f.n-f.optionalDigits) + "," + strconv.Itoa(f.n) + "}"
		}
	}
	switch f.primary {
	case fmtLetters:
		m.regex = "[a-z]+"
		a := byte('a')
		if isUpper {
			m.regex = "[A-Z]+"
			a = 'A'
		}
		m.parse = func(s string) any { return lettersToDecimal(s, a) }
	case fmtRoman:
		m.regex = "[mdclxvi]+"
		if isUpper {
			m.regex = "[MDCLXVI]+"
		}
		m.parse = func(s string) any { return romanToDecimal(strings.ToUpper(s)) }
	case fmtWords:
		keys := make([]string, 0, len(wordValues)+2)
		for k := range wordValues {
			keys = append(keys, k)
		}
		// longest first so that alternation prefers complete words
		sortByLenDesc(keys)
		keys = append(keys, "and", `[\-, ]`)
		m.regex = "(?:" + strings.Join(keys, "|") + ")+"
		m.parse = func(s string) any { return wordsToNumber(strings.ToLower(s)) }
	case fmtDecimal:
		m.regex = "[0-9]" + occurrences
		if f.ordinal {
			m.regex += "(?:th|st|nd|rd)"
		}
		m.parse = func(s string) any {
			digits := s
			if f.ordinal {
				digits = digits[:max(0, len(digits)-2)]
			}
			if f.regular {
				digits = strings.ReplaceAll(digits, ",", "")
			} else {
				for _, sep := range f.separators {
					digits = strings.ReplaceAll(digits, sep.character, "")
				}
			}
			if f.zeroCode != '0' {
				rs := []rune(digits)
				for i, r := range rs {
					rs[i] = r - f.zeroCode + '0'
				}
				digits = string(rs)
			}
			return jsParseInt(digits)
		}
	case fmtSequence:
		throw("D3130", f.token)
	}
	return m
}

func sortByLenDesc(keys []string) {
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && (len(keys[j]) > len(keys[j-1]) || len(keys[j]) == len(keys[j-1]) && keys[j] < keys[j-1]); j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
}

func jsParseInt(s string) any {
	s = strings.TrimSpace(s)
	i := 0
	neg := false
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		neg = s[i] == '-'
		i++
	}
	j := i
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	if j == i {
		return math.NaN()
	}
	f, _ := strconv.ParseFloat(s[i:j], 64)
	if neg {
		f = -f
	}
	return f
}

func parseInteger(s, picture string) any {
	f := analyseIntegerPicture(picture)
	return f.matcher().parse(s)
}

// ---------- date/time pictures ----------

type widthSpec struct {
	min, max       int
	hasMin, hasMax bool
}

type dtPart struct {
	literal       bool
	value         string
	component     byte
	width         *widthSpec
	presentation1 string
	presentation2 string
	ordinal       bool
	names         textCase
	hasNames      bool
	intFmt        *intFormat
	n             int
}

var defaultPresentation = map[byte]string{'Y': "1", 'M': "1", 'D': "1", 'd': "1", 'F': "n", 'W': "1", 'w': "1", 'X': "1",
	'x': "1", 'H': "1", 'h': "1", 'P': "n", 'm': "01", 's': "01", 'f': "1", 'Z': "01:01", 'z': "01:01", 'C': "n", 'E': "n"}

var wsRe = regexp.MustCompile(`\s+`)

func analyseDateTimePicture(picture string) []*dtPart {
	var spec []*dtPart
	addLiteral := func(start, end int) {
		if end > start {
			lit := strings.ReplaceAll(picture[start:end], "]]", "]")
			spec = append(spec, &dtPart{literal: true, value: lit})
		}
	}
	start, pos := 0, 0
	for pos < len(picture) {
		if picture[pos] == '[' {
			if pos+1 < len(picture) && picture[pos+1] == '[' {
				addLiteral(start, pos)
				spec = append(spec, &dtPart{literal: true, value: "["})
				pos += 2
				start = pos
				continue
			}
			addLiteral(start, pos)
			start = pos
			end := strings.IndexByte(picture[start:], ']')
			if end < 0 {
				throw("D3135", nil)
			}
			pos = start + end
			marker := wsRe.ReplaceAllString(picture[start+1:pos], "")
			def := &dtPart{}
			if marker != "" {
				def.component = marker[0]
			}
			var presMod string
			if comma := strings.LastIndexByte(marker, ','); comma >= 0 {
				wm := marker[comma+1:]
				ws := &widthSpec{}
				minS, maxS, hasMax := wm, "", false
				if dash := strings.IndexByte(wm, '-'); dash >= 0 {
					minS, maxS, hasMax = wm[:dash], wm[dash+1:], true
				}
				if minS != "*" && minS != "" {
					if v, ok := jsParseInt(minS).(float64); ok && !math.IsNaN(v) {
						ws.min, ws.hasMin = int(v), true
					}
				}
				if hasMax && maxS != "*" && maxS != "" {
					if v, ok := jsParseInt(maxS).(float64); ok && !math.IsNaN(v) {
						ws.max, ws.hasMax = int(v), true
					}
				}
				def.width = ws
				if comma >= 1 {
					presMod = marker[1:comma]
				}
			} else if len(marker) > 0 {
				presMod = marker[1:]
			}
			if len(presMod) == 1 {
				def.presentation1 = presMod
			} else if len(presMod) > 1 {
				last := presMod[len(presMod)-1]
				if strings.IndexByte("atco", last) >= 0 {
					def.presentation2 = string(last)
					if last == 'o' {
						def.ordinal = true
					}
					def.presentation1 = presMod[:len(presMod)-1]
				} else {
					def.presentation1 = presMod
				}
			} else {
				p, ok := defaultPresentation[def.component]
				if !ok {
					throw("D3132", string(def.component))
				}
				def.presentation1 = p
			}
			if def.presentation1 == "" {
				throw("D3132", string(def.component))
			}
			if def.presentation1[0] == 'n' {
				def.names, def.hasNames = caseLower, true
			} else if def.presentation1[0] == 'N' {
				def.hasNames = true
				if len(def.presentation1) > 1 && def.presentation1[1] == 'n' {
					def.names = caseTitle
				} else {
					def.names = caseUpper
				}
			} else if strings.IndexByte("YMDdFWwXxHhmsf", def.component) >= 0 {
				ip := def.presentation1
				if def.presentation2 != "" {
					ip += ";" + def.presentation2
				}
				def.intFmt = analyseIntegerPicture(ip)
				if def.width != nil && def.width.hasMin && def.intFmt.mandatoryDigits < def.width.min {
					def.intFmt.mandatoryDigits = def.width.min
				}
				if strings.IndexByte("YMD", def.component) >= 0 {
					def.n = -1
					if def.width != nil && def.width.hasMax {
						def.n = def.width.max
						def.intFmt.mandatoryDigits = def.n
					} else {
						w := def.intFmt.mandatoryDigits + def.intFmt.optionalDigits
						if w >= 2 {
							def.n = w
						}
					}
				}
			}
			if def.component == 'Z' || def.component == 'z' {
				def.intFmt = analyseIntegerPicture(def.presentation1)
			}
			spec = append(spec, def)
			start = pos + 1
		}
		pos++
	}
	addLiteral(start, pos)
	return spec
}

var monthNames = []string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
var dayNames = []string{"", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}

const dayMillis = 86400000.0

func utcMillis(y, m int) float64 {
	return float64(time.Date(y, time.Month(m+1), 1, 0, 0, 0, 0, time.UTC).UnixMilli())
}

func startOfFirstWeek(y, m int) float64 {
	jan1 := utcMillis(y, m)
	d := int(time.UnixMilli(int64(jan1)).UTC().Weekday())
	if d == 0 {
		d = 7
	}
	if d > 4 {
		return jan1 + float64(8-d)*dayMillis
	}
	return jan1 - float64(d-1)*dayMillis
}

func normYM(y, m int) (int, int) {
	for m < 0 {
		m += 12
		y--
	}
	for m > 11 {
		m -= 12
		y++
	}
	return y, m
}

func deltaWeeks(start, end float64) float64 { return (end-start)/(dayMillis*7) + 1 }

func dateFragment(t time.Time, c byte) any {
	ms := float64(t.UnixMilli())
	switch c {
	case 'Y':
		return float64(t.Year())
	case 'M':
		return float64(t.Month())
	case 'D':
		return float64(t.Day())
	case 'd':
		return float64(t.YearDay())
	case 'F':
		d := int(t.Weekday())
		if d == 0 {
			d = 7
		}
		return float64(d)
	case 'W':
		y := t.Year()
		s1 := startOfFirstWeek(y, 0)
		sn := startOfFirstWeek(y+1, 0)
		var v float64
		if ms < s1 {
			v = deltaWeeks(startOfFirstWeek(y-1, 0), ms)
		} else if ms >= sn {
			v = deltaWeeks(sn, ms)
		} else {
			v = deltaWeeks(s1, ms)
		}
		return math.Floor(v)
	case 'w':
		y, m := t.Year(), int(t.Month())-1
		s1 := startOfFirstWeek(y, m)
		ny, nm := normYM(y, m+1)
		sn := startOfFirstWeek(ny, nm)
		var v float64
		if ms < s1 {
			py, pm := normYM(y, m-1)
			v = deltaWeeks(startOfFirstWeek(py, pm), ms)
		} else if ms >= sn {
			v = deltaWeeks(sn, ms)
		} else {
			v = deltaWeeks(s1, ms)
		}
		return math.Floor(v)
	case 'X':
		y := t.Year()
		if ms < startOfFirstWeek(y, 0) {
			return float64(y - 1)
		} else if ms >= startOfFirstWeek(y+1, 0) {
			return float64(y + 1)
		}
		return float64(y)
	case 'x':
		y, m := t.Year(), int(t.Month())-1
		ny, nm := normYM(y, m+1)
		if ms < startOfFirstWeek(y, m) {
			_, pm := normYM(y, m-1)
			return float64(pm + 1)
		} else if ms >= startOfFirstWeek(ny, nm) {
			return float64(nm + 1)
		}
		return float64(m + 1)
	case 'H':
		return float64(t.Hour())
	case 'h':
		h := t.Hour() % 12
		if h == 0 {
			h = 12
		}
		return float64(h)
	case 'P':
		if t.Hour() >= 12 {
			return "pm"
		}
		return "am"
	case 'm':
		return float64(t.Minute())
	case 's':
		return float64(t.Second())
	case 'f':
		return float64(t.Nanosecond() / 1e6)
	case 'C', 'E':
		return "ISO"
	}
	return nil
}

var isoSpec = analyseDateTimePicture("[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01].[f001][Z01:01t]")

func formatDateTime(millis float64, picture string, hasPic bool, timezone string, hasTZ bool) any {
	offH, offM := 0.0, 0.0
	if hasTZ {
		off, _ := jsParseInt(timezone).(float64)
		if math.IsNaN(off) {
			off = 0
		}
		offH = math.Floor(off / 100)
		offM = math.Mod(off, 100)
	}
	var spec []*dtPart
	if !hasPic {
		spec = isoSpec
	} else {
		spec = analyseDateTimePicture(picture)
	}
	offMillis := (60*offH + offM) * 60 * 1000
	t := time.UnixMilli(int64(millis + offMillis)).UTC()
	var b strings.Builder
	for _, part := range spec {
		if part.literal {
			b.WriteString(part.value)
			continue
		}
		b.WriteString(formatComponent(t, part, offH, offM))
	}
	return b.String()
}

func formatComponent(t time.Time, p *dtPart, offH, offM float64) string {
	v := dateFragment(t, p.component)
	switch {
	case strings.IndexByte("YMDdFWwXxHhms", p.component) >= 0:
		n := v.(float64)
		if p.component == 'Y' && p.n != -1 && p.n != 0 {
			n = math.Mod(n, math.Pow(10, float64(p.n)))
		}
		if p.hasNames {
			var name string
			switch p.component {
			case 'M', 'x':
				name = monthNames[int(n)-1]
			case 'F':
				name = dayNames[int(n)]
			default:
				throw("D3133", string(p.component))
			}
			if p.names == caseUpper {
				name = strings.ToUpper(name)
			} else if p.names == caseLower {
				name = strings.ToLower(name)
			}
			if p.width != nil && p.width.hasMax && len(name) > p.width.max {
				name = name[:p.width.max]
			}
			return name
		}
		return formatIntegerSpec(n, p.intFmt)
	case p.component == 'f':
		return formatIntegerSpec(v.(float64), p.intFmt)
	case p.component == 'Z' || p.component == 'z':
		offset := offH*100 + offM
		var s string
		if p.intFmt.regular {
			s = formatIntegerSpec(offset, p.intFmt)
		} else {
			nd := p.intFmt.mandatoryDigits
			switch nd {
			case 1, 2:
				s = formatIntegerSpec(offH, p.intFmt)
				if offM != 0 {
					s += ":" + formatInteger(offM, "00").(string)
				}
			case 3, 4:
				s = formatIntegerSpec(offset, p.intFmt)
			default:
				throw("D3134", float64(nd))
			}
		}
		if offset >= 0 {
			s = "+" + s
		}
		if p.component == 'z' {
			s = "GMT" + s
		}
		if offset == 0 && p.presentation2 == "t" {
			s = "Z"
		}
		return s
	case p.component == 'P':
		s, _ := v.(string)
		if p.hasNames && p.names == caseUpper {
			s = strings.ToUpper(s)
		}
		return s
	}
	if s, ok := v.(string); ok {
		return s
	}
	if v == nil {
		return ""
	}
	return FormatNumber(v.(float64))
}

var iso8601Re = regexp.MustCompile(`^\d{4}(-[01]\d)*(-[0-3]\d)*(T[0-2]\d:[0-5]\d:[0-5]\d)*(\.\d+)*([+-][0-2]\d:?[0-5]\d|Z)*$`)
var isoParseRe = regexp.MustCompile(`^([+-]\d{6}|\d{4})(?:-(\d\d)(?:-(\d\d))?)?(?:T(\d\d):(\d\d)(?::(\d\d)(?:\.(\d+))?)?)?(Z|[+-]\d\d:?\d\d)?$`)

func isoToMillis(s string) any {
	if !iso8601Re.MatchString(s) {
		throw("D3110", s)
	}
	m := isoParseRe.FindStringSubmatch(s)
	if m == nil {
		return nil
	}
	atoi := func(x string, def int) int {
		if x == "" {
			return def
		}
		n, _ := strconv.Atoi(x)
		return n
	}
	y := atoi(m[1], 0)
	mo := atoi(m[2], 1)
	d := atoi(m[3], 1)
	h := atoi(m[4], 0)
	mi := atoi(m[5], 0)
	sec := atoi(m[6], 0)
	ms := 0
	if m[7] != "" {
		frac := (m[7] + "000")[:3]
		ms, _ = strconv.Atoi(frac)
	}
	if mo < 1 || mo > 12 || d < 1 || d > 31 || h > 24 || mi > 59 || sec > 59 {
		return nil
	}
	t := time.Date(y, time.Month(mo), d, h, mi, sec, ms*1e6, time.UTC)
	r := float64(t.UnixMilli())
	if tz := m[8]; tz != "" && tz != "Z" {
		tz = strings.ReplaceAll(tz, ":", "")
		oh, _ := strconv.Atoi(tz[1:3])
		om, _ := strconv.Atoi(tz[3:5])
		off := float64(oh*60+om) * 60000
		if tz[0] == '-' {
			r += off
		} else {
			r -= off
		}
	}
	return r
}

// jsDateUTC is JavaScript's Date.UTC, including its treatment of years 0-99.
func jsDateUTC(y, mo, d, h, mi, s, ms float64) float64 {
	if y >= 0 && y <= 99 && y == math.Trunc(y) {
		y += 1900
	}
	t := time.Date(int(y), time.Month(int(mo)+1), int(d), int(h), int(mi), int(s), 0, time.UTC)
	return float64(t.UnixMilli()) + ms
}

func parseDateTime(timestamp, picture string, now time.Time) any {
	spec := analyseDateTimePicture(picture)
	var parts []*matcher
	for _, p := range spec {
		var m *matcher
		switch {
		case p.literal:
			m = &matcher{regex: regexp.QuoteMeta(p.value)}
		case p.component == 'Z' || p.component == 'z':
			var sep *groupSep
			if p.intFmt.regular {
				s := p.intFmt.regularSep
				sep = &s
			}
			re := ""
			if p.component == 'z' {
				re = "GMT"
			}
			re += "[-+][0-9]+"
			if sep != nil {
				re += regexp.QuoteMeta(sep.character) + "[0-9]+"
			}
			comp := p.component
			m = &matcher{regex: re, parse: func(v string) any {
				if comp == 'z' && len(v) >= 3 {
					v = v[3:]
				}
				oh, om := 0.0, 0.0
				if sep != nil {
					i := strings.Index(v, sep.character)
					oh, _ = jsParseInt(v[:i]).(float64)
					om, _ = jsParseInt(v[i+len(sep.character):]).(float64)
				} else {
					nd := len(v) - 1
					if nd <= 2 {
						oh, _ = jsParseInt(v).(float64)
					} else {
						oh, _ = jsParseInt(v[:3]).(float64)
						om, _ = jsParseInt(v[3:]).(float64)
					}
				}
				return oh*60 + om
			}}
		case p.intFmt != nil:
			p.intFmt.n = p.n
			m = p.intFmt.matcher()
		default:
			lookup := map[string]float64{}
			switch p.component {
			case 'M', 'x':
				for i, name := range monthNames {
					if p.width != nil && p.width.hasMax && len(name) > p.width.max {
						name = name[:p.width.max]
					}
					lookup[name] = float64(i + 1)
				}
			case 'F':
				for i, name := range dayNames[1:] {
					if p.width != nil && p.width.hasMax && len(name) > p.width.max {
						name = name[:p.width.max]
					}
					lookup[name] = float64(i + 1)
				}
			case 'P':
				lookup = map[string]float64{"am": 0, "AM": 0, "pm": 1, "PM": 1}
			default:
				throw("D3133", string(p.component))
			}
			m = &matcher{regex: "[a-zA-Z]+", parse: func(v string) any {
				if r, ok := lookup[v]; ok {
					return r
				}
				for k, r := range lookup {
					if strings.EqualFold(k, v) {
						return r
					}
				}
				return nil
			}}
		}
		if !p.literal {
			m.component = p.component
		}
		parts = append(parts, m)
	}
	var b strings.Builder
	b.WriteString("(?i)^")
	for _, m := range parts {
		b.WriteString("(" + m.regex + ")")
	}
	b.WriteString("$")
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil
	}
	info := re.FindStringSubmatch(timestamp)
	if info == nil {
		return nil
	}
	comps := map[byte]any{}
	for i := 1; i < len(info); i++ {
		mp := parts[i-1]
		if mp.parse != nil {
			comps[mp.component] = mp.parse(info[i])
		}
	}
	if len(comps) == 0 {
		return nil
	}
	truthy := func(c byte) bool {
		v, ok := comps[c]
		if !ok || v == nil {
			return false
		}
		f, ok := v.(float64)
		return !ok || (f != 0 && !math.IsNaN(f))
	}
	mask := 0
	shift := func(bit bool) {
		mask <<= 1
		if bit {
			mask++
		}
	}
	isType := func(t int) bool { return (^t&mask) == 0 && (t&mask) != 0 }
	for _, c := range []byte("YXMxWwdD") {
		shift(truthy(c))
	}
	dateA := isType(161)
	dateB := !dateA && isType(130)
	dateC := isType(84)
	dateD := !dateC && isType(72)
	mask = 0
	for _, c := range []byte("PHhmsf") {
		shift(truthy(c))
	}
	timeA := isType(23)
	timeB := !timeA && isType(47)
	dateComps := "YMD"
	switch {
	case dateB:
		dateComps = "YD"
	case dateC:
		dateComps = "XxwF"
	case dateD:
		dateComps = "XWF"
	}
	timeComps := "Hmsf"
	if timeB {
		timeComps = "Phmsf"
	}
	now = now.UTC()
	startSpecified, endSpecified := false, false
	for _, c := range []byte(dateComps + timeComps) {
		if _, ok := comps[c]; !ok {
			if startSpecified {
				if strings.IndexByte("MDd", c) >= 0 {
					comps[c] = 1.0
				} else {
					comps[c] = 0.0
				}
				endSpecified = true
			} else {
				comps[c] = dateFragment(now, c)
			}
		} else {
			startSpecified = true
			if endSpecified {
				throw("D3136", nil)
			}
		}
	}
	num := func(c byte) float64 {
		f, _ := comps[c].(float64)
		return f
	}
	if num('M') > 0 {
		comps['M'] = num('M') - 1
	} else {
		comps['M'] = 0.0
	}
	if dateB {
		first := jsDateUTC(num('Y'), 0, 1, 0, 0, 0, 0)
		derived := time.UnixMilli(int64(first + (num('d')-1)*dayMillis)).UTC()
		comps['M'] = float64(derived.Month() - 1)
		comps['D'] = float64(derived.Day())
	}
	if dateC || dateD {
		throw("D3136", nil)
	}
	if timeB {
		h := num('h')
		if h == 12 {
			h = 0
		}
		if num('P') == 1 {
			h += 12
		}
		comps['H'] = h
	}
	for _, c := range []byte("YMDHmsf") {
		if f, ok := comps[c].(float64); !ok || math.IsNaN(f) {
			return nil
		}
	}
	millis := jsDateUTC(num('Y'), num('M'), num('D'), num('H'), num('m'), num('s'), num('f'))
	if z := num('Z'); z != 0 {
		millis -= z * 60000
	} else if z := num('z'); z != 0 {
		millis -= z * 60000
	}
	return millis
}

// ---------- $formatNumber ----------

func formatNumberPicture(value float64, picture string, options *Object) any {
	props := map[string]string{
		"decimal-separator": ".", "grouping-separator": ",", "exponent-separator": "e", "infinity": "Infinity",
		"minus-sign": "-", "NaN": "NaN", "percent": "%", "per-mille": "\u2030", "zero-digit": "0", "digit": "#",
		"pattern-separator": ";",
	}
	if options != nil {
		for _, k := range options.keys {
			if s, ok := options.vals[k].(string); ok {
				props[k] = s
			}
		}
	}
	zeroR, _ := utf8.DecodeRuneInString(props["zero-digit"])
	family := make([]string, 10)
	for i := range family {
		family[i] = string(zeroR + rune(i))
	}
	isDigit := func(ch string) bool {
		for _, d := range family {
			if d == ch {
				return true
			}
		}
		return false
	}
	active := append(append([]string{}, family...), props["decimal-separator"], props["exponent-separator"], props["grouping-separator"], props["digit"], props["pattern-separator"])
	isActive := func(ch string) bool {
		for _, a := range active {
			if a == ch {
				return true
			}
		}
		return false
	}
	sub := strings.Split(picture, props["pattern-separator"])
	if len(sub) > 2 {
		throw("D3080", nil)
	}
	type partsT struct {
		prefix, suffix, active, mantissa, exponent, integer, fractional, sub string
		hasExp                                                               bool
	}
	chars := func(s string) []string {
		var out []string
		for _, r := range s {
			out = append(out, string(r))
		}
		return out
	}
	split := func(sp string) partsT {
		cs := chars(sp)
		prefix := ""
		for i, ch := range cs {
			if isActive(ch) && ch != props["exponent-separator"] {
				prefix = strings.Join(cs[:i], "")
				break
			}
		}
		suffix := ""
		for i := len(cs) - 1; i >= 0; i-- {
			if isActive(cs[i]) && cs[i] != props["exponent-separator"] {
				suffix = strings.Join(cs[i+1:], "")
				break
			}
		}
		activePart := ""
		if len(prefix)+len(suffix) <= len(sp) {
			activePart = sp[len(prefix) : len(sp)-len(suffix)]
		}
		var p partsT
		p.prefix, p.suffix, p.active, p.sub = prefix, suffix, activePart, sp
		expPos := -1
		if i := strings.Index(sp[len(prefix):], props["exponent-separator"]); i >= 0 {
			expPos = i + len(prefix)
		}
		if expPos == -1 || expPos > len(sp)-len(suffix) {
			p.mantissa = activePart
		} else {
			ep := min(expPos, len(activePart))
			p.mantissa = activePart[:ep]
			if ep+1 <= len(activePart) {
				p.exponent = activePart[ep+1:]
			}
			p.hasExp = true
		}
		if dp := strings.Index(p.mantissa, props["decimal-separator"]); dp == -1 {
			p.integer = p.mantissa
			p.fractional = suffix
		} else {
			p.integer = p.mantissa[:dp]
			p.fractional = p.mantissa[dp+len(props["decimal-separator"]):]
		}
		return p
	}
	validate := func(p partsT) {
		code := ""
		sp := p.sub
		ds, gs := props["decimal-separator"], props["grouping-separator"]
		decimalPos := strings.Index(sp, ds)
		if decimalPos != strings.LastIndex(sp, ds) {
			code = "D3081"
		}
		if strings.Index(sp, props["percent"]) != strings.LastIndex(sp, props["percent"]) {
			code = "D3082"
		}
		if strings.Index(sp, props["per-mille"]) != strings.LastIndex(sp, props["per-mille"]) {
			code = "D3083"
		}
		if strings.Contains(sp, props["percent"]) && strings.Contains(sp, props["per-mille"]) {
			code = "D3084"
		}
		valid := false
		for _, ch := range chars(p.mantissa) {
			if isDigit(ch) || ch == props["digit"] {
				valid = true
				break
			}
		}
		if !valid {
			code = "D3085"
		}
		for _, ch := range chars(p.active) {
			if !isActive(ch) {
				code = "D3086"
			}
		}
		if decimalPos != -1 {
			if strings.HasSuffix(sp[:decimalPos], gs) || strings.HasPrefix(sp[decimalPos+len(ds):], gs) {
				code = "D3087"
			}
		} else if strings.HasSuffix(p.integer, gs) {
			code = "D3088"
		}
		if strings.Contains(sp, gs+gs) {
			code = "D3089"
		}
		if odp := strings.Index(p.integer, props["digit"]); odp != -1 {
			for _, ch := range chars(p.integer[:odp]) {
				if isDigit(ch) {
					code = "D3090"
				}
			}
		}
		if odp := strings.LastIndex(p.fractional, props["digit"]); odp != -1 {
			for _, ch := range chars(p.fractional[odp:]) {
				if isDigit(ch) {
					code = "D3091"
				}
			}
		}
		if p.hasExp && len(p.exponent) > 0 && (strings.Contains(sp, props["percent"]) || strings.Contains(sp, props["per-mille"])) {
			code = "D3092"
		}
		if p.hasExp {
			bad := len(p.exponent) == 0
			for _, ch := range chars(p.exponent) {
				if !isDigit(ch) {
					bad = true
				}
			}
			if bad {
				code = "D3093"
			}
		}
		if code != "" {
			throw(code, nil)
		}
	}
	type picT struct {
		intGroupPos  []int
		regular      int
		minInt       int
		scaling      int
		prefix       string
		fracGroupPos []int
		minFrac      int
		maxFrac      int
		minExp       int
		suffix       string
		picture      string
		fractional   string
	}
	analyse := func(p partsT) picT {
		gs := props["grouping-separator"]
		groupPositions := func(part string, toLeft bool) []int {
			var positions []int
			gp := strings.Index(part, gs)
			for gp != -1 {
				var seg string
				if toLeft {
					seg = part[:gp]
				} else {
					seg = part[gp:]
				}
				n := 0
				for _, ch := range chars(seg) {
					if isDigit(ch) || ch == props["digit"] {
						n++
					}
				}
				positions = append(positions, n)
				next := -1
				if gp+1 <= len(p.integer) {
					if i := strings.Index(p.integer[gp+1:], gs); i >= 0 {
						next = gp + 1 + i
					}
				}
				gp = next
			}
			return positions
		}
		var r picT
		r.intGroupPos = groupPositions(p.integer, false)
		r.regular = regularRepeat(r.intGroupPos)
		r.fracGroupPos = groupPositions(p.fractional, true)
		for _, ch := range chars(p.integer) {
			if isDigit(ch) {
				r.minInt++
			}
		}
		r.scaling = r.minInt
		for _, ch := range chars(p.fractional) {
			if isDigit(ch) {
				r.minFrac++
			}
			if isDigit(ch) || ch == props["digit"] {
				r.maxFrac++
			}
		}
		if r.minInt == 0 && r.maxFrac == 0 {
			if p.hasExp {
				r.minFrac, r.maxFrac = 1, 1
			} else {
				r.minInt = 1
			}
		}
		if p.hasExp && r.minInt == 0 && strings.Contains(p.integer, props["digit"]) {
			r.minInt = 1
		}
		if r.minInt == 0 && r.minFrac == 0 {
			r.minFrac = 1
		}
		if p.hasExp {
			for _, ch := range chars(p.exponent) {
				if isDigit(ch) {
					r.minExp++
				}
			}
		}
		r.prefix, r.suffix, r.picture, r.fractional = p.prefix, p.suffix, p.sub, p.fractional
		return r
	}
	var pics []picT
	for _, sp := range sub {
		p := split(sp)
		validate(p)
		pics = append(pics, analyse(p))
	}
	minus := props["minus-sign"]
	zero := props["zero-digit"]
	ds := props["decimal-separator"]
	gs := props["grouping-separator"]
	if len(pics) == 1 {
		neg := pics[0]
		neg.prefix = minus + neg.prefix
		pics = append(pics, neg)
	}
	pic := pics[0]
	if value < 0 {
		pic = pics[1]
	}
	adjusted := value
	if strings.Contains(pic.picture, props["percent"]) {
		adjusted = value * 100
	} else if strings.Contains(pic.picture, props["per-mille"]) {
		adjusted = value * 1000
	}
	mantissa := adjusted
	hasExp := false
	exponent := 0
	if pic.minExp != 0 {
		hasExp = true
		maxM := math.Pow(10, float64(pic.scaling))
		minM := math.Pow(10, float64(pic.scaling-1))
		if mantissa != 0 && !math.IsInf(mantissa, 0) && !math.IsNaN(mantissa) {
			for mantissa < minM {
				mantissa *= 10
				exponent--
			}
			for mantissa > maxM {
				mantissa /= 10
				exponent++
			}
		}
	}
	rounded := roundHalfEven(mantissa, pic.maxFrac)
	makeString := func(v float64, dp int) string {
		s := strconv.FormatFloat(math.Abs(v), 'f', dp, 64)
		if zero != "0" {
			var b strings.Builder
			for _, r := range s {
				if r >= '0' && r <= '9' {
					b.WriteString(family[r-'0'])
				} else {
					b.WriteRune(r)
				}
			}
			s = b.String()
		}
		return s
	}
	sv := makeString(rounded, pic.maxFrac)
	if !strings.Contains(sv, ".") {
		sv += ds
	} else {
		sv = strings.Replace(sv, ".", ds, 1)
	}
	for strings.HasPrefix(sv, zero) {
		sv = sv[len(zero):]
	}
	for strings.HasSuffix(sv, zero) {
		sv = sv[:len(sv)-len(zero)]
	}
	// work in runes from here on
	rs := []rune(sv)
	dsr := []rune(ds)[0]
	indexRune := func(rs []rune, r rune) int {
		for i, x := range rs {
			if x == r {
				return i
			}
		}
		return -1
	}
	zr := []rune(zero)[0]
	decimalPos := indexRune(rs, dsr)
	padLeft := pic.minInt - decimalPos
	padRight := pic.minFrac - (len(rs) - decimalPos - 1)
	if padLeft > 0 {
		rs = append([]rune(strings.Repeat(string(zr), padLeft)), rs...)
	}
	if padRight > 0 {
		rs = append(rs, []rune(strings.Repeat(string(zr), padRight))...)
	}
	decimalPos = indexRune(rs, dsr)
	gsr := []rune(gs)
	insert := func(rs []rune, at int, ins []rune) []rune {
		if at < 0 {
			at = 0
		}
		if at > len(rs) {
			at = len(rs)
		}
		out := make([]rune, 0, len(rs)+len(ins))
		out = append(out, rs[:at]...)
		out = append(out, ins...)
		return append(out, rs[at:]...)
	}
	if pic.regular > 0 {
		groupCount := (decimalPos - 1) / pic.regular
		for g := 1; g <= groupCount; g++ {
			rs = insert(rs, decimalPos-g*pic.regular, gsr)
		}
	} else {
		for _, pos := range pic.intGroupPos {
			rs = insert(rs, decimalPos-pos, gsr)
			decimalPos++
		}
	}
	decimalPos = indexRune(rs, dsr)
	for _, pos := range pic.fracGroupPos {
		rs = insert(rs, pos+decimalPos+1, gsr)
	}
	decimalPos = indexRune(rs, dsr)
	if pic.maxFrac == 0 || decimalPos == len(rs)-1 {
		rs = rs[:len(rs)-1]
	}
	sv = string(rs)
	if hasExp {
		se := makeString(float64(exponent), 0)
		if pl := pic.minExp - len([]rune(se)); pl > 0 {
			se = strings.Repeat(zero, pl) + se
		}
		sign := ""
		if exponent < 0 {
			sign = minus
		}
		sv = sv + props["exponent-separator"] + sign + se
	}
	return pic.prefix + sv + pic.suffix
}
