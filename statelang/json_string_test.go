package statelang

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzMarshalString: a string's JSON text is valid JSON that reads back as
// the string (each byte of invalid UTF-8 as U+FFFD), escapes exactly the characters
// JSON requires (and nothing printable), and is what encoding/json writes
// apart from the HTML and line-separator escapes it adds.
func FuzzMarshalString(f *testing.F) {
	for _, s := range []string{"", "plain", `q"uote\back`, "tab\tnl\ncr\r\b\f\x00\x1f", "é€😀", "bad\xffutf8\xc3", "\u2028<&>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := MarshalString(s)
		var back string
		if err := json.Unmarshal([]byte(got), &back); err != nil {
			t.Fatalf("MarshalString(%q) = %s: not JSON: %v", s, got, err)
		}
		var valid strings.Builder // each invalid byte one U+FFFD, as ranging over s gives
		for _, r := range s {
			valid.WriteRune(r)
		}
		if want := valid.String(); back != want {
			t.Fatalf("MarshalString(%q) = %s reads back as %q", s, got, back)
		}
		std, _ := json.Marshal(s)
		want := strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&", `\u2028`, "\u2028", `\u2029`, "\u2029", `\ufffd`, "\uFFFD").Replace(string(std))
		if got != want {
			t.Fatalf("MarshalString(%q) = %s; encoding/json (HTML and line separators unescaped) %s", s, got, want)
		}
	})
}
