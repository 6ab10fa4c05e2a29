// Package statelang turns Amazon States Language (ASL) definitions into
// immutable, validated machines and computes every step of them.
//
// The package is pure: it performs no I/O, starts no goroutines, never reads
// the clock and never draws randomness on its own. Time, randomness and UUIDs
// are supplied by the caller through [Env], so the same inputs always give the
// same step. It imports only the standard library, ojg, cel-go, internal/arn
// (which imports only the standard library) and its own JSONata engine
// (statelang/jsonata, which uses regexp2); a test checks this.
//
// The pieces:
//   - [Parse] validates a definition, reporting every problem at once as
//     [Diagnostics], and returns a [*Machine].
//   - The value model is ojg's generic JSON: nil, bool, int64, float64,
//     json.Number (integers beyond int64), string, []any, map[string]any.
//     Integers stay integers and floats stay floats.
//   - The step API ([Machine.Enter], [State.TaskSucceeded], [State.HandleFailure],
//     ...) tells the caller what one state does with its input. One driver
//     runs it: the engine's decider (durably, as express executions, and
//     in memory on a fake clock with engine.RunLocal).
//   - [TestState] runs one state once as AWS's TestState does, with a
//     mocked task result or error, and reports the value after each step
//     of its data flow.
//   - Both query languages: JSONPath (paths, payload templates, intrinsics)
//     and JSONata ("QueryLanguage": "JSONata": Arguments, Output, Condition,
//     Items, "{% %}" expressions reading $states and the variables).
//   - Workflow variables: Assign fields are evaluated by the step API and
//     come back in [Step].Assign and [Recovery].Assign; the caller applies
//     them to the current scope ([Vars]) when the state is left, and passes
//     the scope chain in [Context].Vars. A Parallel branch or Map iteration
//     runs in a child scope ([Vars.Child]) that reads the outer ones and is
//     dropped when it ends: data leaves it only through its output.
package statelang
