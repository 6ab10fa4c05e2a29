package engine

import "testing"

func TestTaskRef(t *testing.T) {
	tok := taskToken(12, 3, "a-secret")
	for _, c := range []struct{ in, want string }{
		{tok, "12-3"},
		{"garbage", "(not a task token)"},
		{"12-3-nothex", "(not a task token)"},
	} {
		if got := TaskRef(c.in); got != c.want {
			t.Errorf("TaskRef(%q) = %q; want %q", c.in, got, c.want)
		}
	}
}
