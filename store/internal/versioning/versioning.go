// Package versioning holds what both stores do alike for revisions and
// aliases (engine.VersionStore): applying an update to the latest
// revision, and mapping an alias's routes (engine.Route) to the columns
// they are kept in: version1, weight1, and version2, weight2 (NULL for an
// alias with one route). It imports engine only.
package versioning

import (
	"time"

	"github.com/stepwise-dev/stepwise/engine"
)

// Revise applies an update (nil: unchanged) to sm, the machine's latest
// revision, as the next revision made at now. It reports false, leaving sm
// as it is, when neither the definition nor the role changes.
func Revise(sm *engine.StateMachine, definition, roleARN *string, now time.Time) bool {
	if (definition == nil || *definition == sm.Definition) && (roleARN == nil || *roleARN == sm.RoleARN) {
		return false
	}
	if definition != nil {
		sm.Definition = *definition
	}
	if roleARN != nil {
		sm.RoleARN = *roleARN
	}
	sm.CreatedAt = now
	return true
}

// Columns returns version1, weight1, version2, weight2 for rs (one or two
// routes); the second pair is nil for one route.
func Columns(rs []engine.Route) []any {
	cols := []any{rs[0].Version, rs[0].Weight, nil, nil}
	if len(rs) > 1 {
		cols[2], cols[3] = rs[1].Version, rs[1].Weight
	}
	return cols
}

// Scanned holds the routing columns of a row being scanned.
type Scanned struct {
	V1, W1 int
	V2, W2 *int
}

// Dest returns the scan destinations, in Columns' order.
func (s *Scanned) Dest() []any { return []any{&s.V1, &s.W1, &s.V2, &s.W2} }

// Routes returns the routes the columns hold.
func (s *Scanned) Routes() []engine.Route {
	rs := []engine.Route{{Version: s.V1, Weight: s.W1}}
	if s.V2 != nil && s.W2 != nil {
		rs = append(rs, engine.Route{Version: *s.V2, Weight: *s.W2})
	}
	return rs
}
