package statelang

import (
	"strings"
	"testing"
)

// A run of dots or a long chain of descents is refused at parse time: its
// evaluation time grows with the cube of its length (FuzzPath found
// "$" + 6,000 dots + "c", which ran for minutes).
func TestParsePathDescentLimits(t *testing.T) {
	for _, s := range []string{"$" + strings.Repeat(".", 6000) + "c", "$" + strings.Repeat(".", 40) + "c", "$" + strings.Repeat("..a", maxPathDescents+1)} {
		if _, err := ParsePath(s); err == nil {
			t.Errorf("ParsePath(%.40q…) = nil error; want an error", s)
		}
	}
	for _, s := range []string{"$..c", "$..a..b", "$" + strings.Repeat("..a", maxPathDescents)} {
		if _, err := ParsePath(s); err != nil {
			t.Errorf("ParsePath(%q) = %v; want it accepted", s, err)
		}
	}
}
