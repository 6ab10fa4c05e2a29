package engine

import "testing"

// TestPickRoute: an alias's draw in [0, 1) picks each version with the
// probability of its weight; a route of weight 0 is never picked.
func TestPickRoute(t *testing.T) {
	t.Parallel()
	split := []Route{{Version: 1, Weight: 30}, {Version: 2, Weight: 70}}
	zero := []Route{{Version: 1, Weight: 0}, {Version: 2, Weight: 100}}
	for _, c := range []struct {
		routes []Route
		r      float64
		want   int
	}{
		{split, 0, 1}, {split, 0.299, 1}, {split, 0.3, 2}, {split, 0.999999, 2},
		{zero, 0, 2}, {zero, 0.5, 2},
		{[]Route{{Version: 7, Weight: 100}}, 0.42, 7},
	} {
		if got := pickRoute(c.routes, c.r); got != c.want {
			t.Errorf("pickRoute(%v, %v) = %d; want %d", c.routes, c.r, got, c.want)
		}
	}
}
