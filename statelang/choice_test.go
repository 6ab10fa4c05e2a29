package statelang

import (
	"encoding/json"
	"strings"
	"testing"
)

// choiceJSON parses a JSON document of a test table.
func choiceJSON(t testing.TB, s string) any {
	t.Helper()
	v, err := ParseJSON([]byte(s))
	if err != nil {
		t.Fatalf("ParseJSON(%q): %v", s, err)
	}
	return v
}

// parseChoiceTestRule parses a nested rule (no Next) and fails the test on any
// diagnostic.
func parseChoiceTestRule(t testing.TB, s string) *ChoiceRule {
	t.Helper()
	raw, ok := choiceJSON(t, s).(map[string]any)
	if !ok {
		t.Fatalf("rule %s is not an object", s)
	}
	var d diagnostics
	r := parseChoiceRule(&d, testLocation("/States/Check/Choices/0"), raw, false)
	if len(d.list) > 0 {
		t.Fatalf("parseChoiceRule(%s) = %v; want no diagnostics", s, d.list)
	}
	return r
}

// corpusChoiceCases are the pure "choice_operators" scenarios of the
// AWS-recorded conformance corpus (../shared/conformance/corpus.json),
// deduplicated: each is a one-rule Choice state with a Default, and want
// says whether AWS took the rule's Next (ConditionTrue) or the Default.
var corpusChoiceCases = []struct {
	rule, input string
	want        bool
}{
	{`{"Variable": "$.Variable", "BooleanEquals": false}`, `{"Variable": 1, "Value": false}`, false},
	{`{"Variable": "$.Variable", "BooleanEquals": true}`, `{"Variable": 1.1, "Value": true}`, false},
	{`{"Variable": "$.Variable", "BooleanEquals": true}`, `{"Variable": "", "Value": true}`, false},
	{`{"Variable": "$.Variable", "BooleanEquals": true}`, `{"Variable": " ", "Value": true}`, false},
	{`{"Variable": "$.Variable", "BooleanEquals": false}`, `{"Variable": " ", "Value": false}`, false},
	{`{"Variable": "$.Variable", "BooleanEquals": true}`, `{"Variable": "2012-10-09T19:00:55", "Value": true}`, false},
	{`{"Variable": "$.Variable", "BooleanEquals": false}`, `{"Variable": "2012-10-09T19:00:55", "Value": false}`, false},
	{`{"Variable": "$.Variable", "BooleanEquals": true}`, `{"Variable": "2012-10-09T19:00:55Z", "Value": true}`, false},
	{`{"Variable": "$.Variable", "BooleanEquals": false}`, `{"Variable": "2012-10-09T19:00:55Z", "Value": false}`, false},
	{`{"Variable": "$.Variable", "BooleanEquals": false}`, `{"Variable": "2012-10-09T19:00:55+01:00", "Value": false}`, false},
	{`{"Variable": "$.Variable", "BooleanEquals": true}`, `{"Variable": "2023-02-24", "Value": true}`, false},
	{`{"Variable": "$.Variable", "BooleanEquals": false}`, `{"Variable": [], "Value": false}`, false},
	{`{"Variable": "$.Variable", "BooleanEquals": false}`, `{"Variable": {"A": 0}, "Value": false}`, false},
	{`{"Variable": "$.Variable", "BooleanEquals": false}`, `{"Variable": false, "Value": false}`, true},
	{`{"Variable": "$.Variable", "BooleanEqualsPath": "$.Value"}`, `{"Variable": 0, "Value": false}`, false},
	{`{"Variable": "$.Variable", "BooleanEqualsPath": "$.Value"}`, `{"Variable": 1, "Value": true}`, false},
	{`{"Variable": "$.Variable", "BooleanEqualsPath": "$.Value"}`, `{"Variable": "", "Value": true}`, false},
	{`{"Variable": "$.Variable", "BooleanEqualsPath": "$.Value"}`, `{"Variable": "", "Value": false}`, false},
	{`{"Variable": "$.Variable", "BooleanEqualsPath": "$.Value"}`, `{"Variable": " ", "Value": false}`, false},
	{`{"Variable": "$.Variable", "BooleanEqualsPath": "$.Value"}`, `{"Variable": "2012-10-09T19:00:55", "Value": true}`, false},
	{`{"Variable": "$.Variable", "BooleanEqualsPath": "$.Value"}`, `{"Variable": "2012-10-09T19:00:55", "Value": false}`, false},
	{`{"Variable": "$.Variable", "BooleanEqualsPath": "$.Value"}`, `{"Variable": "2012-10-09T19:00:55Z", "Value": true}`, false},
	{`{"Variable": "$.Variable", "BooleanEqualsPath": "$.Value"}`, `{"Variable": "2012-10-09T19:00:55+01:00", "Value": true}`, false},
	{`{"Variable": "$.Variable", "BooleanEqualsPath": "$.Value"}`, `{"Variable": "2012-10-09T19:00:55+01:00", "Value": false}`, false},
	{`{"Variable": "$.Variable", "BooleanEqualsPath": "$.Value"}`, `{"Variable": "2023-02-24", "Value": true}`, false},
	{`{"Variable": "$.Variable", "BooleanEqualsPath": "$.Value"}`, `{"Variable": [""], "Value": true}`, false},
	{`{"Variable": "$.Variable", "BooleanEqualsPath": "$.Value"}`, `{"Variable": {"A": 0}, "Value": true}`, false},
	{`{"Variable": "$.Variable", "BooleanEqualsPath": "$.Value"}`, `{"Variable": {"A": 0}, "Value": false}`, false},
	{`{"Variable": "$.Variable", "BooleanEqualsPath": "$.Value"}`, `{"Variable": false, "Value": true}`, false},
	{`{"Variable": "$.Variable", "BooleanEqualsPath": "$.Value"}`, `{"Variable": false, "Value": false}`, true},
	{`{"Variable": "$.Variable", "IsBoolean": true}`, `{"Variable": null, "Value": true}`, false},
	{`{"Variable": "$.Variable", "IsBoolean": false}`, `{"Variable": null, "Value": false}`, true},
	{`{"Variable": "$.Variable", "IsBoolean": false}`, `{"Variable": 0, "Value": false}`, true},
	{`{"Variable": "$.Variable", "IsBoolean": true}`, `{"Variable": 0.0, "Value": true}`, false},
	{`{"Variable": "$.Variable", "IsBoolean": false}`, `{"Variable": 0.0, "Value": false}`, true},
	{`{"Variable": "$.Variable", "IsBoolean": false}`, `{"Variable": 1, "Value": false}`, true},
	{`{"Variable": "$.Variable", "IsBoolean": false}`, `{"Variable": 1.1, "Value": false}`, true},
	{`{"Variable": "$.Variable", "IsBoolean": true}`, `{"Variable": "", "Value": true}`, false},
	{`{"Variable": "$.Variable", "IsBoolean": false}`, `{"Variable": "", "Value": false}`, true},
	{`{"Variable": "$.Variable", "IsBoolean": false}`, `{"Variable": " ", "Value": false}`, true},
	{`{"Variable": "$.Variable", "IsBoolean": false}`, `{"Variable": "HelloWorld", "Value": false}`, true},
	{`{"Variable": "$.Variable", "IsBoolean": false}`, `{"Variable": "2012-10-09T19:00:55", "Value": false}`, true},
	{`{"Variable": "$.Variable", "IsBoolean": false}`, `{"Variable": "2012-10-09T19:00:55Z", "Value": false}`, true},
	{`{"Variable": "$.Variable", "IsBoolean": false}`, `{"Variable": "2012-10-09T19:00:55+01:00", "Value": false}`, true},
	{`{"Variable": "$.Variable", "IsBoolean": true}`, `{"Variable": [], "Value": true}`, false},
	{`{"Variable": "$.Variable", "IsBoolean": false}`, `{"Variable": [], "Value": false}`, true},
	{`{"Variable": "$.Variable", "IsBoolean": true}`, `{"Variable": {}, "Value": true}`, false},
	{`{"Variable": "$.Variable", "IsBoolean": false}`, `{"Variable": {}, "Value": false}`, true},
	{`{"Variable": "$.Variable", "IsBoolean": false}`, `{"Variable": {"A": 0}, "Value": false}`, true},
	{`{"Variable": "$.Variable", "IsBoolean": false}`, `{"Variable": false, "Value": false}`, false},
	{`{"Variable": "$.Variable", "IsNull": true}`, `{"Variable": 0.0, "Value": true}`, false},
	{`{"Variable": "$.Variable", "IsNull": false}`, `{"Variable": 0.0, "Value": false}`, true},
	{`{"Variable": "$.Variable", "IsNull": true}`, `{"Variable": 1, "Value": true}`, false},
	{`{"Variable": "$.Variable", "IsNull": true}`, `{"Variable": " ", "Value": true}`, false},
	{`{"Variable": "$.Variable", "IsNull": false}`, `{"Variable": " ", "Value": false}`, true},
	{`{"Variable": "$.Variable", "IsNull": true}`, `{"Variable": "HelloWorld", "Value": true}`, false},
	{`{"Variable": "$.Variable", "IsNull": false}`, `{"Variable": "2012-10-09T19:00:55", "Value": false}`, true},
	{`{"Variable": "$.Variable", "IsNull": true}`, `{"Variable": "2012-10-09T19:00:55Z", "Value": true}`, false},
	{`{"Variable": "$.Variable", "IsNull": true}`, `{"Variable": "2023-02-24", "Value": true}`, false},
	{`{"Variable": "$.Variable", "IsNull": false}`, `{"Variable": [], "Value": false}`, true},
	{`{"Variable": "$.Variable", "IsNull": true}`, `{"Variable": {}, "Value": true}`, false},
	{`{"Variable": "$.Variable", "IsNull": true}`, `{"Variable": {"A": 0}, "Value": true}`, false},
	{`{"Variable": "$.Variable", "IsNull": true}`, `{"Variable": false, "Value": true}`, false},
	{`{"Variable": "$.Variable", "IsNumeric": true}`, `{"Variable": null, "Value": true}`, false},
	{`{"Variable": "$.Variable", "IsNumeric": true}`, `{"Variable": 0, "Value": true}`, true},
	{`{"Variable": "$.Variable", "IsNumeric": true}`, `{"Variable": 0.0, "Value": true}`, true},
	{`{"Variable": "$.Variable", "IsNumeric": false}`, `{"Variable": 0.0, "Value": false}`, false},
	{`{"Variable": "$.Variable", "IsNumeric": true}`, `{"Variable": 1, "Value": true}`, true},
	{`{"Variable": "$.Variable", "IsNumeric": false}`, `{"Variable": 1, "Value": false}`, false},
	{`{"Variable": "$.Variable", "IsNumeric": true}`, `{"Variable": "", "Value": true}`, false},
	{`{"Variable": "$.Variable", "IsNumeric": true}`, `{"Variable": " ", "Value": true}`, false},
	{`{"Variable": "$.Variable", "IsNumeric": false}`, `{"Variable": "HelloWorld", "Value": false}`, true},
	{`{"Variable": "$.Variable", "IsNumeric": true}`, `{"Variable": "2012-10-09T19:00:55", "Value": true}`, false},
	{`{"Variable": "$.Variable", "IsNumeric": false}`, `{"Variable": "2012-10-09T19:00:55", "Value": false}`, true},
	{`{"Variable": "$.Variable", "IsNumeric": false}`, `{"Variable": "2012-10-09T19:00:55Z", "Value": false}`, true},
	{`{"Variable": "$.Variable", "IsNumeric": true}`, `{"Variable": "2012-10-09T19:00:55+01:00", "Value": true}`, false},
	{`{"Variable": "$.Variable", "IsNumeric": false}`, `{"Variable": [], "Value": false}`, true},
	{`{"Variable": "$.Variable", "IsNumeric": true}`, `{"Variable": [""], "Value": true}`, false},
	{`{"Variable": "$.Variable", "IsNumeric": true}`, `{"Variable": {}, "Value": true}`, false},
	{`{"Variable": "$.Variable", "IsNumeric": true}`, `{"Variable": {"A": 0}, "Value": true}`, false},
	{`{"Variable": "$.Variable", "IsNumeric": true}`, `{"Variable": false, "Value": true}`, false},
	{`{"Variable": "$.Variable", "IsNumeric": false}`, `{"Variable": false, "Value": false}`, true},
	{`{"Variable": "$.Variable", "IsPresent": true}`, `{"Variable": null, "Value": true}`, true},
	{`{"Variable": "$.Variable", "IsPresent": true}`, `{"Variable": 0, "Value": true}`, true},
	{`{"Variable": "$.Variable", "IsPresent": false}`, `{"Variable": 0.0, "Value": false}`, false},
	{`{"Variable": "$.Variable", "IsPresent": false}`, `{"Variable": 1.1, "Value": false}`, false},
	{`{"Variable": "$.Variable", "IsPresent": true}`, `{"Variable": "", "Value": true}`, true},
	{`{"Variable": "$.Variable", "IsPresent": false}`, `{"Variable": "", "Value": false}`, false},
	{`{"Variable": "$.Variable", "IsPresent": true}`, `{"Variable": "HelloWorld", "Value": true}`, true},
	{`{"Variable": "$.Variable", "IsPresent": false}`, `{"Variable": "HelloWorld", "Value": false}`, false},
	{`{"Variable": "$.Variable", "IsPresent": false}`, `{"Variable": "2012-10-09T19:00:55", "Value": false}`, false},
	{`{"Variable": "$.Variable", "IsPresent": true}`, `{"Variable": "2012-10-09T19:00:55Z", "Value": true}`, true},
	{`{"Variable": "$.Variable", "IsPresent": true}`, `{"Variable": "2012-10-09T19:00:55+01:00", "Value": true}`, true},
	{`{"Variable": "$.Variable", "IsPresent": true}`, `{"Variable": "2023-02-24", "Value": true}`, true},
	{`{"Variable": "$.Variable", "IsPresent": false}`, `{"Variable": "2023-02-24", "Value": false}`, false},
	{`{"Variable": "$.Variable", "IsPresent": true}`, `{"Variable": [""], "Value": true}`, true},
	{`{"Variable": "$.Variable", "IsPresent": true}`, `{"Variable": {}, "Value": true}`, true},
	{`{"Variable": "$.Variable", "IsPresent": false}`, `{"Variable": {}, "Value": false}`, false},
	{`{"Variable": "$.Variable", "IsPresent": true}`, `{"Variable": {"A": 0}, "Value": true}`, true},
	{`{"Variable": "$.Variable", "IsPresent": true}`, `{"Variable": true, "Value": true}`, true},
	{`{"Variable": "$.Variable", "IsPresent": true}`, `{"Variable": false, "Value": true}`, true},
	{`{"Variable": "$.Variable", "IsPresent": false}`, `{"Variable": false, "Value": false}`, false},
	{`{"Variable": "$.Variable", "IsString": true}`, `{"Variable": null, "Value": true}`, false},
	{`{"Variable": "$.Variable", "IsString": false}`, `{"Variable": null, "Value": false}`, true},
	{`{"Variable": "$.Variable", "IsString": false}`, `{"Variable": 0, "Value": false}`, true},
	{`{"Variable": "$.Variable", "IsString": true}`, `{"Variable": 0.0, "Value": true}`, false},
	{`{"Variable": "$.Variable", "IsString": false}`, `{"Variable": 1, "Value": false}`, true},
	{`{"Variable": "$.Variable", "IsString": true}`, `{"Variable": 1.1, "Value": true}`, false},
	{`{"Variable": "$.Variable", "IsString": false}`, `{"Variable": 1.1, "Value": false}`, true},
	{`{"Variable": "$.Variable", "IsString": false}`, `{"Variable": "", "Value": false}`, false},
	{`{"Variable": "$.Variable", "IsString": true}`, `{"Variable": " ", "Value": true}`, true},
	{`{"Variable": "$.Variable", "IsString": false}`, `{"Variable": " ", "Value": false}`, false},
	{`{"Variable": "$.Variable", "IsString": true}`, `{"Variable": "2012-10-09T19:00:55+01:00", "Value": true}`, true},
	{`{"Variable": "$.Variable", "IsString": false}`, `{"Variable": "2012-10-09T19:00:55+01:00", "Value": false}`, false},
	{`{"Variable": "$.Variable", "IsString": true}`, `{"Variable": "2023-02-24", "Value": true}`, true},
	{`{"Variable": "$.Variable", "IsString": false}`, `{"Variable": "2023-02-24", "Value": false}`, false},
	{`{"Variable": "$.Variable", "IsString": true}`, `{"Variable": [], "Value": true}`, false},
	{`{"Variable": "$.Variable", "IsString": false}`, `{"Variable": [], "Value": false}`, true},
	{`{"Variable": "$.Variable", "IsString": false}`, `{"Variable": [""], "Value": false}`, true},
	{`{"Variable": "$.Variable", "IsString": true}`, `{"Variable": {}, "Value": true}`, false},
	{`{"Variable": "$.Variable", "IsString": false}`, `{"Variable": {}, "Value": false}`, true},
	{`{"Variable": "$.Variable", "IsString": true}`, `{"Variable": {"A": 0}, "Value": true}`, false},
	{`{"Variable": "$.Variable", "IsString": true}`, `{"Variable": true, "Value": true}`, false},
	{`{"Variable": "$.Variable", "NumericEquals": 0.0}`, `{"Variable": null, "Value": 0.0}`, false},
	{`{"Variable": "$.Variable", "NumericEquals": 0}`, `{"Variable": 0, "Value": 0}`, true},
	{`{"Variable": "$.Variable", "NumericEquals": 0.0}`, `{"Variable": 0, "Value": 0.0}`, true},
	{`{"Variable": "$.Variable", "NumericEquals": 1.0}`, `{"Variable": 0, "Value": 1.0}`, false},
	{`{"Variable": "$.Variable", "NumericEquals": 0}`, `{"Variable": 0.0, "Value": 0}`, true},
	{`{"Variable": "$.Variable", "NumericEquals": 1}`, `{"Variable": 0.0, "Value": 1}`, false},
	{`{"Variable": "$.Variable", "NumericEquals": 1.0}`, `{"Variable": 0.0, "Value": 1.0}`, false},
	{`{"Variable": "$.Variable", "NumericEquals": 0.0}`, `{"Variable": 1, "Value": 0.0}`, false},
	{`{"Variable": "$.Variable", "NumericEquals": 1}`, `{"Variable": 1, "Value": 1}`, true},
	{`{"Variable": "$.Variable", "NumericEquals": 0}`, `{"Variable": 1.1, "Value": 0}`, false},
	{`{"Variable": "$.Variable", "NumericEquals": 1}`, `{"Variable": 1.1, "Value": 1}`, false},
	{`{"Variable": "$.Variable", "NumericEquals": 1.0}`, `{"Variable": 1.1, "Value": 1.0}`, false},
	{`{"Variable": "$.Variable", "NumericEquals": 0}`, `{"Variable": "", "Value": 0}`, false},
	{`{"Variable": "$.Variable", "NumericEquals": 1}`, `{"Variable": "", "Value": 1}`, false},
	{`{"Variable": "$.Variable", "NumericEquals": 1.0}`, `{"Variable": "", "Value": 1.0}`, false},
	{`{"Variable": "$.Variable", "NumericEquals": 0}`, `{"Variable": " ", "Value": 0}`, false},
	{`{"Variable": "$.Variable", "NumericEquals": 0.0}`, `{"Variable": " ", "Value": 0.0}`, false},
	{`{"Variable": "$.Variable", "NumericEquals": 0}`, `{"Variable": [], "Value": 0}`, false},
	{`{"Variable": "$.Variable", "NumericEquals": 0.0}`, `{"Variable": [], "Value": 0.0}`, false},
	{`{"Variable": "$.Variable", "NumericEquals": 1.0}`, `{"Variable": [], "Value": 1.0}`, false},
	{`{"Variable": "$.Variable", "NumericEquals": 0.0}`, `{"Variable": [""], "Value": 0.0}`, false},
	{`{"Variable": "$.Variable", "NumericEquals": 1.0}`, `{"Variable": {}, "Value": 1.0}`, false},
	{`{"Variable": "$.Variable", "NumericEquals": 0}`, `{"Variable": {"A": 0}, "Value": 0}`, false},
	{`{"Variable": "$.Variable", "NumericEquals": 1}`, `{"Variable": {"A": 0}, "Value": 1}`, false},
	{`{"Variable": "$.Variable", "NumericEquals": 1}`, `{"Variable": false, "Value": 1}`, false},
	{`{"Variable": "$.Variable", "NumericEquals": 1.0}`, `{"Variable": false, "Value": 1.0}`, false},
	{`{"Variable": "$.Variable", "NumericEquals": 0}`, `{"Variable": true, "Value": 0}`, false},
	{`{"Variable": "$.Variable", "NumericEquals": 2.22}`, `{"Variable": 2.22, "Value": 2.22}`, true},
	{`{"Variable": "$.Variable", "NumericEqualsPath": "$.Value"}`, `{"Variable": 0, "Value": 0.0}`, true},
	{`{"Variable": "$.Variable", "NumericEqualsPath": "$.Value"}`, `{"Variable": 0.0, "Value": 1}`, false},
	{`{"Variable": "$.Variable", "NumericEqualsPath": "$.Value"}`, `{"Variable": 1, "Value": 1.0}`, true},
	{`{"Variable": "$.Variable", "NumericEqualsPath": "$.Value"}`, `{"Variable": 1.1, "Value": 0}`, false},
	{`{"Variable": "$.Variable", "NumericEqualsPath": "$.Value"}`, `{"Variable": "", "Value": 0.0}`, false},
	{`{"Variable": "$.Variable", "NumericEqualsPath": "$.Value"}`, `{"Variable": " ", "Value": 0}`, false},
	{`{"Variable": "$.Variable", "NumericEqualsPath": "$.Value"}`, `{"Variable": " ", "Value": 0.0}`, false},
	{`{"Variable": "$.Variable", "NumericEqualsPath": "$.Value"}`, `{"Variable": " ", "Value": 1.0}`, false},
	{`{"Variable": "$.Variable", "NumericEqualsPath": "$.Value"}`, `{"Variable": [], "Value": 0.0}`, false},
	{`{"Variable": "$.Variable", "NumericEqualsPath": "$.Value"}`, `{"Variable": [""], "Value": 0.0}`, false},
	{`{"Variable": "$.Variable", "NumericEqualsPath": "$.Value"}`, `{"Variable": [""], "Value": 1}`, false},
	{`{"Variable": "$.Variable", "NumericEqualsPath": "$.Value"}`, `{"Variable": [""], "Value": 1.0}`, false},
	{`{"Variable": "$.Variable", "NumericEqualsPath": "$.Value"}`, `{"Variable": {}, "Value": 1}`, false},
	{`{"Variable": "$.Variable", "NumericEqualsPath": "$.Value"}`, `{"Variable": {"A": 0}, "Value": 0.0}`, false},
	{`{"Variable": "$.Variable", "NumericEqualsPath": "$.Value"}`, `{"Variable": {"A": 0}, "Value": 1}`, false},
	{`{"Variable": "$.Variable", "NumericEqualsPath": "$.Value"}`, `{"Variable": {"A": 0}, "Value": 1.0}`, false},
	{`{"Variable": "$.Variable", "NumericEqualsPath": "$.Value"}`, `{"Variable": false, "Value": 0}`, false},
	{`{"Variable": "$.Variable", "NumericEqualsPath": "$.Value"}`, `{"Variable": false, "Value": 0.0}`, false},
	{`{"Variable": "$.Variable", "NumericEqualsPath": "$.Value"}`, `{"Variable": false, "Value": 1.0}`, false},
	{`{"Variable": "$.Variable", "NumericEqualsPath": "$.Value"}`, `{"Variable": true, "Value": 0.0}`, false},
	{`{"Variable": "$.Variable", "NumericEqualsPath": "$.Value"}`, `{"Variable": 2.22, "Value": 2.22}`, true},
	{`{"Variable": "$.Variable", "NumericGreaterThan": 0}`, `{"Variable": 0.0, "Value": 0}`, false},
	{`{"Variable": "$.Variable", "NumericGreaterThan": 1}`, `{"Variable": 0, "Value": 1}`, false},
	{`{"Variable": "$.Variable", "NumericGreaterThan": 0}`, `{"Variable": 1, "Value": 0}`, true},
	{`{"Variable": "$.Variable", "NumericGreaterThanPath": "$.Value"}`, `{"Variable": 0.0, "Value": 0}`, false},
	{`{"Variable": "$.Variable", "NumericGreaterThanPath": "$.Value"}`, `{"Variable": 0, "Value": 1}`, false},
	{`{"Variable": "$.Variable", "NumericGreaterThanPath": "$.Value"}`, `{"Variable": 1, "Value": 0}`, true},
	{`{"Variable": "$.Variable", "NumericGreaterThanEquals": 1}`, `{"Variable": 0, "Value": 1}`, false},
	{`{"Variable": "$.Variable", "NumericGreaterThanEqualsPath": "$.Value"}`, `{"Variable": 0, "Value": 0}`, true},
	{`{"Variable": "$.Variable", "NumericGreaterThanEqualsPath": "$.Value"}`, `{"Variable": 1, "Value": 1}`, true},
	{`{"Variable": "$.Variable", "NumericGreaterThanEqualsPath": "$.Value"}`, `{"Variable": 1, "Value": 0}`, true},
	{`{"Variable": "$.Variable", "NumericGreaterThanEqualsPath": "$.Value"}`, `{"Variable": 0, "Value": 1}`, false},
	{`{"Variable": "$.Variable", "NumericLessThan": 0}`, `{"Variable": 0.0, "Value": 0}`, false},
	{`{"Variable": "$.Variable", "NumericLessThan": 1}`, `{"Variable": 1, "Value": 1}`, false},
	{`{"Variable": "$.Variable", "NumericLessThan": 1}`, `{"Variable": 0, "Value": 1}`, true},
	{`{"Variable": "$.Variable", "NumericLessThanPath": "$.Value"}`, `{"Variable": 0.0, "Value": 0}`, false},
	{`{"Variable": "$.Variable", "NumericLessThanPath": "$.Value"}`, `{"Variable": 0, "Value": 1}`, true},
	{`{"Variable": "$.Variable", "NumericLessThanEquals": 1}`, `{"Variable": 0, "Value": 1}`, true},
	{`{"Variable": "$.Variable", "NumericLessThanEqualsPath": "$.Value"}`, `{"Variable": 0, "Value": 1}`, true},
	{`{"Variable": "$.Variable", "NumericLessThanEqualsPath": "$.Value"}`, `{"Variable": 1, "Value": 0}`, false},
	{`{"Variable": "$.Variable", "StringEquals": "HelloWorld"}`, `{"Variable": 0, "Value": "HelloWorld"}`, false},
	{`{"Variable": "$.Variable", "StringEquals": "HelloWorld"}`, `{"Variable": 0.0, "Value": "HelloWorld"}`, false},
	{`{"Variable": "$.Variable", "StringEquals": "HelloWorld"}`, `{"Variable": 1.1, "Value": "HelloWorld"}`, false},
	{`{"Variable": "$.Variable", "StringEquals": "HelloWorld"}`, `{"Variable": " ", "Value": "HelloWorld"}`, false},
	{`{"Variable": "$.Variable", "StringEquals": "HelloWorld"}`, `{"Variable": false, "Value": "HelloWorld"}`, false},
	{`{"Variable": "$.Variable", "StringEquals": "HelloWorld"}`, `{"Variable": true, "Value": "HelloWorld"}`, false},
	{`{"Variable": "$.Variable", "StringEquals": "\t\r\n"}`, `{"Variable": "\t\n", "Value": "\t\r\n"}`, false},
	{`{"Variable": "$.Variable", "StringEquals": "Hello"}`, `{"Variable": "Hello", "Value": "Hello"}`, true},
	{`{"Variable": "$.Variable", "StringEqualsPath": "$.Value"}`, `{"Variable": " ", "Value": "     "}`, false},
	{`{"Variable": "$.Variable", "StringEqualsPath": "$.Value"}`, `{"Variable": "Hello", "Value": "Hello"}`, true},
	{`{"Variable": "$.Variable", "StringGreaterThan": ""}`, `{"Variable": "", "Value": ""}`, false},
	{`{"Variable": "$.Variable", "StringGreaterThan": "A\t\n\r"}`, `{"Variable": "A", "Value": "A\t\n\r"}`, false},
	{`{"Variable": "$.Variable", "StringGreaterThan": "ABC"}`, `{"Variable": "AB", "Value": "ABC"}`, false},
	{`{"Variable": "$.Variable", "StringGreaterThanEquals": ""}`, `{"Variable": "", "Value": ""}`, true},
	{`{"Variable": "$.Variable", "StringGreaterThanEqualsPath": "$.Value"}`, `{"Variable": "", "Value": ""}`, true},
	{`{"Variable": "$.Variable", "StringGreaterThanEqualsPath": "$.Value"}`, `{"Variable": "A", "Value": "AB"}`, false},
	{`{"Variable": "$.Variable", "StringGreaterThanEqualsPath": "$.Value"}`, `{"Variable": "AB", "Value": "A"}`, true},
	{`{"Variable": "$.Variable", "StringLessThan": ""}`, `{"Variable": "", "Value": ""}`, false},
	{`{"Variable": "$.Variable", "StringLessThan": "A"}`, `{"Variable": "AB", "Value": "A"}`, false},
	{`{"Variable": "$.Variable", "StringLessThanEquals": ""}`, `{"Variable": "", "Value": ""}`, true},
	{`{"Variable": "$.Variable", "StringLessThanEquals": "A"}`, `{"Variable": "AB", "Value": "A"}`, false},
	{`{"Variable": "$.Variable", "StringLessThanEqualsPath": "$.Value"}`, `{"Variable": "", "Value": ""}`, true},
	{`{"Variable": "$.Variable", "TimestampEquals": "2012-10-09T19:00:55Z"}`, `{"Variable": 0.0, "Value": "2012-10-09T19:00:55Z"}`, false},
	{`{"Variable": "$.Variable", "TimestampEquals": "2012-10-09T19:00:55Z"}`, `{"Variable": 1, "Value": "2012-10-09T19:00:55Z"}`, false},
	{`{"Variable": "$.Variable", "TimestampEquals": "2012-10-09T19:00:55Z"}`, `{"Variable": "", "Value": "2012-10-09T19:00:55Z"}`, false},
	{`{"Variable": "$.Variable", "TimestampEquals": "2012-10-09T19:00:55Z"}`, `{"Variable": " ", "Value": "2012-10-09T19:00:55Z"}`, false},
	{`{"Variable": "$.Variable", "TimestampEquals": "2012-10-09T19:00:55Z"}`, `{"Variable": "2023-02-24 12:15:56.832957", "Value": "2012-10-09T19:00:55Z"}`, false},
	{`{"Variable": "$.Variable", "TimestampEquals": "2012-10-09T19:00:55Z"}`, `{"Variable": {"A": 0}, "Value": "2012-10-09T19:00:55Z"}`, false},
	{`{"Variable": "$.Variable", "TimestampEquals": "2012-10-09T19:00:55Z"}`, `{"Variable": false, "Value": "2012-10-09T19:00:55Z"}`, false},
	{`{"Variable": "$.Variable", "TimestampEquals": "2012-10-09T19:00:56Z"}`, `{"Variable": "2012-10-09T19:00:55Z", "Value": "2012-10-09T19:00:56Z"}`, false},
	{`{"Variable": "$.Variable", "TimestampEqualsPath": "$.Value"}`, `{"Variable": "2012-10-09T19:00:55Z", "Value": "2012-10-09T19:00:56Z"}`, false},
	{`{"Variable": "$.Variable", "TimestampGreaterThan": "2012-10-09T19:00:55Z"}`, `{"Variable": "2012-10-09T19:00:55Z", "Value": "2012-10-09T19:00:55Z"}`, false},
	{`{"Variable": "$.Variable", "TimestampGreaterThan": "2012-10-09T19:00:56Z"}`, `{"Variable": "2012-10-09T19:00:55Z", "Value": "2012-10-09T19:00:56Z"}`, false},
	{`{"Variable": "$.Variable", "TimestampGreaterThan": "2012-10-09T19:00:55Z"}`, `{"Variable": "2012-10-09T19:00:56Z", "Value": "2012-10-09T19:00:55Z"}`, true},
	{`{"Variable": "$.Variable", "TimestampGreaterThanEquals": "2012-10-09T19:00:55Z"}`, `{"Variable": "2012-10-09T19:00:55Z", "Value": "2012-10-09T19:00:55Z"}`, true},
	{`{"Variable": "$.Variable", "TimestampGreaterThanEquals": "2012-10-09T19:00:56Z"}`, `{"Variable": "2012-10-09T19:00:55Z", "Value": "2012-10-09T19:00:56Z"}`, false},
	{`{"Variable": "$.Variable", "TimestampGreaterThanEqualsPath": "$.Value"}`, `{"Variable": "2012-10-09T19:00:55Z", "Value": "2012-10-09T19:00:56Z"}`, false},
	{`{"Variable": "$.Variable", "TimestampLessThan": "2012-10-09T19:00:56Z"}`, `{"Variable": "2012-10-09T19:00:55Z", "Value": "2012-10-09T19:00:56Z"}`, true},
	{`{"Variable": "$.Variable", "TimestampLessThanEquals": "2012-10-09T19:00:55Z"}`, `{"Variable": "2012-10-09T19:00:55Z", "Value": "2012-10-09T19:00:55Z"}`, true},
	{`{"Variable": "$.Variable", "TimestampLessThanEquals": "2012-10-09T19:00:55Z"}`, `{"Variable": "2012-10-09T19:00:56Z", "Value": "2012-10-09T19:00:55Z"}`, false},
	{`{"Variable": "$.Variable", "TimestampLessThanEqualsPath": "$.Value"}`, `{"Variable": "2012-10-09T19:00:56Z", "Value": "2012-10-09T19:00:55Z"}`, false},
}

func TestChoiceCorpus(t *testing.T) {
	t.Parallel()
	for _, tc := range corpusChoiceCases {
		r := parseChoiceTestRule(t, tc.rule)
		got, f := r.eval(choiceJSON(t, tc.input), nil)
		if f != nil || got != tc.want {
			t.Errorf("eval(%s) on %s = %v, %v; want %v, <nil>", tc.rule, tc.input, got, f, tc.want)
		}
	}
}

func TestChoiceEval(t *testing.T) {
	t.Parallel()
	input := `{
		"s": "log-2020-01.txt", "star": "a*b", "bs": "a\\b", "empty": "",
		"n": 22, "f": 22.5, "big": 9007199254740993, "big2": 9007199254740992,
		"huge": 123456789012345678901234567890, "neg": -1,
		"t": true, "null": null, "arr": [1, 2], "obj": {"k": "v"},
		"ts": "2012-10-09T19:00:55Z", "tsOff": "2012-10-09T20:00:55+01:00",
		"tsFrac": "2012-10-09T19:00:55.5Z", "tsLower": "2012-10-09t19:00:55z",
		"tsNoZone": "2012-10-09T19:00:55", "tsBad": "2012-13-09T19:00:55Z",
		"items": [{"x": 1}, {"x": 2}], "noItems": [],
		"sup": "😀", "priv": "ｚ"
	}`
	tests := []struct {
		rule string
		want bool
	}{
		// StringMatches: '*' is any run, '\*' a literal star, '\\' a backslash.
		{`{"Variable": "$.s", "StringMatches": "log-*.txt"}`, true},
		{`{"Variable": "$.s", "StringMatches": "log-*"}`, true},
		{`{"Variable": "$.s", "StringMatches": "*.txt"}`, true},
		{`{"Variable": "$.s", "StringMatches": "*"}`, true},
		{`{"Variable": "$.s", "StringMatches": "*-*-*"}`, true},
		{`{"Variable": "$.s", "StringMatches": "log-*.csv"}`, false},
		{`{"Variable": "$.s", "StringMatches": "log"}`, false},
		{`{"Variable": "$.s", "StringMatches": "log-2020-01.txt"}`, true},
		{`{"Variable": "$.s", "StringMatches": "*2020*2020*"}`, false},
		{`{"Variable": "$.empty", "StringMatches": "*"}`, true},
		{`{"Variable": "$.empty", "StringMatches": ""}`, true},
		{`{"Variable": "$.star", "StringMatches": "a\\*b"}`, true},
		{`{"Variable": "$.s", "StringMatches": "log\\*"}`, false},
		{`{"Variable": "$.bs", "StringMatches": "a\\\\b"}`, true},
		{`{"Variable": "$.bs", "StringMatches": "a\\\\*"}`, true},
		{`{"Variable": "$.n", "StringMatches": "*"}`, false},
		// Strings compare in UTF-16 order, as Java does: U+1F600 (a surrogate
		// pair) sorts before U+FF5A.
		{`{"Variable": "$.sup", "StringLessThan": "ｚ"}`, true},
		{`{"Variable": "$.priv", "StringGreaterThanPath": "$.sup"}`, true},
		{`{"Variable": "$.s", "StringLessThan": "log-2020-01.txt0"}`, true},
		{`{"Variable": "$.s", "StringGreaterThanEquals": "log"}`, true},
		{`{"Variable": "$.s", "StringEqualsPath": "$.n"}`, false},
		// Numbers compare by value, whatever their JSON type.
		{`{"Variable": "$.n", "NumericEquals": 22.0}`, true},
		{`{"Variable": "$.f", "NumericGreaterThan": 22}`, true},
		{`{"Variable": "$.f", "NumericLessThanEquals": 22.5}`, true},
		{`{"Variable": "$.neg", "NumericLessThan": 0}`, true},
		{`{"Variable": "$.n", "NumericGreaterThanEqualsPath": "$.f"}`, false},
		{`{"Variable": "$.n", "NumericLessThanPath": "$.f"}`, true},
		{`{"Variable": "$.big", "NumericGreaterThanPath": "$.big2"}`, true},
		{`{"Variable": "$.big", "NumericEquals": 9007199254740992}`, false},
		{`{"Variable": "$.huge", "NumericGreaterThan": 1e29}`, true},
		{`{"Variable": "$.huge", "NumericLessThan": 1e30}`, true},
		{`{"Variable": "$.huge", "NumericEquals": 123456789012345678901234567890}`, true},
		{`{"Variable": "$.n", "NumericEqualsPath": "$.s"}`, false},
		{`{"Variable": "$.t", "NumericEquals": 1}`, false},
		// Booleans.
		{`{"Variable": "$.t", "BooleanEquals": true}`, true},
		{`{"Variable": "$.t", "BooleanEqualsPath": "$.t"}`, true},
		{`{"Variable": "$.t", "BooleanEqualsPath": "$.n"}`, false},
		// Timestamps compare instants; a string that is not a timestamp
		// does not match.
		{`{"Variable": "$.tsOff", "TimestampEquals": "2012-10-09T19:00:55Z"}`, true},
		{`{"Variable": "$.ts", "TimestampEqualsPath": "$.tsOff"}`, true},
		{`{"Variable": "$.tsFrac", "TimestampGreaterThan": "2012-10-09T19:00:55Z"}`, true},
		{`{"Variable": "$.tsFrac", "TimestampLessThan": "2012-10-09T19:00:56.000Z"}`, true},
		{`{"Variable": "$.ts", "TimestampLessThanEquals": "2012-10-09T19:00:55.000Z"}`, true},
		{`{"Variable": "$.ts", "TimestampGreaterThanEquals": "2012-10-09T18:00:55-01:00"}`, true},
		{`{"Variable": "$.tsNoZone", "TimestampEquals": "2012-10-09T19:00:55Z"}`, false},
		{`{"Variable": "$.tsLower", "TimestampEquals": "2012-10-09T19:00:55Z"}`, false},
		{`{"Variable": "$.ts", "TimestampEqualsPath": "$.tsBad"}`, false},
		{`{"Variable": "$.ts", "TimestampEqualsPath": "$.n"}`, false},
		// Type tests.
		{`{"Variable": "$.null", "IsNull": true}`, true},
		{`{"Variable": "$.n", "IsNull": false}`, true},
		{`{"Variable": "$.huge", "IsNumeric": true}`, true},
		{`{"Variable": "$.ts", "IsTimestamp": true}`, true},
		{`{"Variable": "$.tsFrac", "IsTimestamp": true}`, true},
		{`{"Variable": "$.tsNoZone", "IsTimestamp": true}`, false},
		{`{"Variable": "$.tsBad", "IsTimestamp": false}`, true},
		{`{"Variable": "$.n", "IsTimestamp": false}`, true},
		{`{"Variable": "$.arr", "IsString": false}`, true},
		{`{"Variable": "$.missing", "IsPresent": false}`, true},
		{`{"Variable": "$.obj.nope", "IsPresent": true}`, false},
		{`{"Variable": "$.s.deeper", "IsPresent": false}`, true},
		{`{"Variable": "$.arr[5]", "IsPresent": false}`, true},
		{`{"Variable": "$.arr[1]", "IsPresent": true}`, true},
		{`{"Variable": "$.noItems[*]", "IsPresent": false}`, true},
		{`{"Variable": "$.items[*].x", "IsPresent": true}`, true},
		{`{"Variable": "$.null", "IsPresent": true}`, true},
		// An indefinite path yields an array, which no scalar operator matches.
		{`{"Variable": "$.items[*].x", "NumericEquals": 1}`, false},
		// The context object.
		{`{"Variable": "$$.State.Name", "StringEquals": "Check"}`, true},
		{`{"Variable": "$$.Execution.Nope", "IsPresent": false}`, true},
		// Boolean combinations.
		{`{"And": [{"Variable": "$.n", "NumericGreaterThanEquals": 20}, {"Variable": "$.n", "NumericLessThan": 30}]}`, true},
		{`{"And": [{"Variable": "$.n", "NumericGreaterThanEquals": 20}, {"Variable": "$.n", "NumericLessThan": 21}]}`, false},
		{`{"Or": [{"Variable": "$.n", "NumericEquals": 1}, {"Variable": "$.n", "NumericEquals": 22}]}`, true},
		{`{"Or": [{"Variable": "$.n", "NumericEquals": 1}, {"Variable": "$.n", "NumericEquals": 2}]}`, false},
		{`{"Not": {"Variable": "$.s", "StringEquals": "Private"}}`, true},
		{`{"Not": {"Not": {"Variable": "$.t", "BooleanEquals": true}}}`, true},
		{`{"And": [{"Or": [{"Variable": "$.missing", "IsPresent": true}, {"Variable": "$.t", "BooleanEquals": true}]}, {"Not": {"Variable": "$.null", "IsNull": false}}], "Comment": "nested"}`, true},
		// And and Or stop at the first answer: the missing path after it is never read.
		{`{"And": [{"Variable": "$.t", "BooleanEquals": false}, {"Variable": "$.missing", "IsNull": true}]}`, false},
		{`{"Or": [{"Variable": "$.t", "BooleanEquals": true}, {"Variable": "$.missing", "IsNull": true}]}`, true},
	}
	in := choiceJSON(t, input)
	ctx := map[string]any{"State": map[string]any{"Name": "Check"}, "Execution": map[string]any{}}
	for _, tc := range tests {
		r := parseChoiceTestRule(t, tc.rule)
		got, f := r.eval(in, ctx)
		if f != nil || got != tc.want {
			t.Errorf("eval(%s) = %v, %v; want %v, <nil>", tc.rule, got, f, tc.want)
		}
	}
}

func TestChoiceEvalRuntimeError(t *testing.T) {
	t.Parallel()
	input := choiceJSON(t, `{"n": 1, "s": "x", "noItems": []}`)
	tests := []struct {
		rule, path string
	}{
		{`{"Variable": "$.missing", "NumericEquals": 1}`, "$.missing"},
		{`{"Variable": "$.missing", "IsNull": true}`, "$.missing"},
		{`{"Variable": "$.missing", "IsNumeric": false}`, "$.missing"},
		{`{"Variable": "$.missing", "StringMatches": "*"}`, "$.missing"},
		{`{"Variable": "$.s.deeper", "StringEquals": "x"}`, "$.s.deeper"},
		{`{"Variable": "$.noItems[*]", "IsNull": false}`, "$.noItems[*]"},
		{`{"Variable": "$.n", "NumericEqualsPath": "$.other"}`, "$.other"},
		{`{"Variable": "$.missing", "NumericEqualsPath": "$.other"}`, "$.missing"},
		{`{"Variable": "$$.Nope", "StringEquals": "x"}`, "$$.Nope"},
		{`{"Not": {"Variable": "$.missing", "BooleanEquals": true}}`, "$.missing"},
		{`{"And": [{"Variable": "$.n", "NumericEquals": 1}, {"Variable": "$.missing", "BooleanEquals": true}]}`, "$.missing"},
		{`{"Or": [{"Variable": "$.n", "NumericEquals": 2}, {"Variable": "$.missing", "BooleanEquals": true}]}`, "$.missing"},
	}
	for _, tc := range tests {
		r := parseChoiceTestRule(t, tc.rule)
		got, f := r.eval(input, map[string]any{})
		want := "Invalid path '" + tc.path + "': The choice state's condition path references an invalid value."
		if got || f == nil || f.Name != ErrRuntime || f.Cause != want {
			t.Errorf("eval(%s) = %v, %v; want false, %s: %s", tc.rule, got, f, ErrRuntime, want)
		}
	}
}

func TestChoiceParse(t *testing.T) {
	t.Parallel()
	const loc = "/States/Check/Choices/0"
	type diag struct{ loc, msg string }
	tests := []struct {
		rule string
		top  bool
		want []diag // loc and a prefix of the message
	}{
		{`{"Variable": "$.x", "StringEquals": "a", "Next": "S", "Comment": "c"}`, true, nil},
		{`{"And": [{"Variable": "$.x", "IsPresent": true, "Comment": "c"}], "Next": "S"}`, true, nil},
		{`{"Not": {"Variable": "$$.Execution.Id", "IsString": true}, "Next": "S"}`, true, nil},
		{`{"Variable": "$", "IsNull": false, "Next": "S"}`, true, nil},
		{`{"Variable": "$.x", "StringEquals": "a"}`, true, []diag{{loc, "The field 'Next' is required but was missing"}}},
		{`{"Variable": "$.x", "StringEquals": "a", "Next": "S"}`, false, []diag{{loc, "Field 'Next' is not supported"}}},
		{`{"Variable": "$.x", "StringEquals": "a", "Next": 3}`, true, []diag{{loc + "/Next", "The value for the field 'Next' must be a STRING"}}},
		{`{"StringEquals": "a", "Next": "S"}`, true, []diag{{loc, "The field 'Variable' is required but was missing"}}},
		{`{"Variable": "$.x", "Next": "S"}`, true, []diag{{loc, "A Choice Rule must have exactly one comparison operator or one of the fields 'And', 'Or', 'Not', but has none"}}},
		{`{"Next": "S"}`, true, []diag{{loc, "A Choice Rule must have exactly one comparison operator or one of the fields 'And', 'Or', 'Not', but has none"}}},
		{`{"Variable": "$.x", "StringEquals": "a", "NumericEquals": 1, "Next": "S"}`, true, []diag{{loc, "A Choice Rule must have exactly one comparison operator or one of the fields 'And', 'Or', 'Not', but has 2: NumericEquals, StringEquals"}}},
		{`{"Variable": "$.x", "And": [{"Variable": "$.x", "IsNull": true}], "Next": "S"}`, true, []diag{{loc, "Field 'Variable' is not supported"}}},
		{`{"Variable": "$.x", "StringEquals": "a", "Foo": 1, "Next": "S"}`, true, []diag{{loc, "Field 'Foo' is not supported"}}},
		{`{"Variable": "x", "StringEquals": "a", "Next": "S"}`, true, []diag{{loc + "/Variable", "The value for the field 'Variable' must be a valid JSONPath"}}},
		{`{"Variable": 1, "StringEquals": "a", "Next": "S"}`, true, []diag{{loc + "/Variable", "The value for the field 'Variable' must be a STRING that contains a JSONPath but was a number"}}},
		{`{"Variable": "$var", "StringEquals": "a", "Next": "S"}`, true, nil},
		{`{"Variable": "$1x", "StringEquals": "a", "Next": "S"}`, true, []diag{{loc + "/Variable", "The value for the field 'Variable' must be a valid JSONPath"}}},
		{`{"Variable": "$.x", "StringEquals": 1, "Next": "S"}`, true, []diag{{loc + "/StringEquals", "The value for the field 'StringEquals' must be a STRING"}}},
		{`{"Variable": "$.x", "StringMatches": true, "Next": "S"}`, true, []diag{{loc + "/StringMatches", "The value for the field 'StringMatches' must be a STRING"}}},
		{`{"Variable": "$.x", "NumericLessThan": "1", "Next": "S"}`, true, []diag{{loc + "/NumericLessThan", "The value for the field 'NumericLessThan' must be a NUMBER"}}},
		{`{"Variable": "$.x", "BooleanEquals": "true", "Next": "S"}`, true, []diag{{loc + "/BooleanEquals", "The value for the field 'BooleanEquals' must be a BOOLEAN"}}},
		{`{"Variable": "$.x", "IsPresent": 1, "Next": "S"}`, true, []diag{{loc + "/IsPresent", "The value for the field 'IsPresent' must be a BOOLEAN"}}},
		{`{"Variable": "$.x", "IsTimestamp": null, "Next": "S"}`, true, []diag{{loc + "/IsTimestamp", "The value for the field 'IsTimestamp' must be a BOOLEAN"}}},
		{`{"Variable": "$.x", "TimestampEquals": "2016-13-05T21:29:29Z", "Next": "S"}`, true, []diag{{loc + "/TimestampEquals", "String does not match RFC3339 timestamp"}}},
		{`{"Variable": "$.x", "TimestampLessThan": "2016-12-05T21:29:29", "Next": "S"}`, true, []diag{{loc + "/TimestampLessThan", "String does not match RFC3339 timestamp"}}},
		{`{"Variable": "$.x", "TimestampGreaterThan": 1, "Next": "S"}`, true, []diag{{loc + "/TimestampGreaterThan", "The value for the field 'TimestampGreaterThan' must be a STRING"}}},
		{`{"Variable": "$.x", "StringEqualsPath": "a", "Next": "S"}`, true, []diag{{loc + "/StringEqualsPath", "The value for the field 'StringEqualsPath' must be a valid JSONPath"}}},
		{`{"Variable": "$.x", "NumericEqualsPath": 1, "Next": "S"}`, true, []diag{{loc + "/NumericEqualsPath", "The value for the field 'NumericEqualsPath' must be a STRING that contains a JSONPath"}}},
		{`{"And": [], "Next": "S"}`, true, []diag{{loc + "/And", "The value for the field 'And' must be a non-empty ARRAY of Choice Rules"}}},
		{`{"Or": {"Variable": "$.x", "IsNull": true}, "Next": "S"}`, true, []diag{{loc + "/Or", "The value for the field 'Or' must be a non-empty ARRAY of Choice Rules"}}},
		{`{"Or": ["x"], "Next": "S"}`, true, []diag{{loc + "/Or/0", "The value for the field 'Or' must be an ARRAY of OBJECTs but item 0 is a string"}}},
		{`{"Not": [{"Variable": "$.x", "IsNull": true}], "Next": "S"}`, true, []diag{{loc + "/Not", "The value for the field 'Not' must be an OBJECT"}}},
		{`{"Variable": "$.x", "StringEquals": "a", "Comment": 1, "Next": "S"}`, true, []diag{{loc + "/Comment", "The value for the field 'Comment' must be a STRING"}}},
		{`{"Variable": "$.x", "StringEquals": "a", "Assign": {"a": 1}, "Next": "S"}`, true, nil},
		{`{"Variable": "$.x", "StringEquals": "a", "Assign": {"states": 1}, "Next": "S"}`, true, []diag{{loc + "/Assign/states", "The variable name 'states' is reserved"}}},
		{`{"Condition": "{% true %}", "Next": "S"}`, true, []diag{
			{loc, "Field 'Condition' is not supported"},
			{loc, "A Choice Rule must have exactly one comparison operator"},
		}},
		// Every problem of nested rules is reported, each at its own place.
		{`{"And": [{"Variable": "$.x", "IsNull": true, "Next": "S"}, {"Or": [{"NumericEquals": "1"}]}, {"Not": {"Variable": "y", "Foo": 1}}], "Next": "S"}`, true, []diag{
			{loc + "/And/0", "Field 'Next' is not supported"},
			{loc + "/And/1/Or/0/NumericEquals", "The value for the field 'NumericEquals' must be a NUMBER"},
			{loc + "/And/1/Or/0", "The field 'Variable' is required but was missing"},
			{loc + "/And/2/Not", "Field 'Foo' is not supported"},
			{loc + "/And/2/Not/Variable", "The value for the field 'Variable' must be a valid JSONPath"},
			{loc + "/And/2/Not", "A Choice Rule must have exactly one comparison operator"},
		}},
		{`{}`, true, []diag{
			{loc, "A Choice Rule must have exactly one comparison operator"},
			{loc, "The field 'Next' is required but was missing"},
		}},
	}
	for _, tc := range tests {
		raw := choiceJSON(t, tc.rule).(map[string]any)
		var d diagnostics
		r := parseChoiceRule(&d, testLocation(loc), raw, tc.top)
		if r == nil {
			t.Errorf("parseChoiceRule(%s) = nil; want a rule", tc.rule)
		}
		ok := len(d.list) == len(tc.want)
		for i := 0; ok && i < len(tc.want); i++ {
			g := d.list[i]
			ok = g.Code == "SCHEMA_VALIDATION_FAILED" && g.Location == tc.want[i].loc && strings.HasPrefix(g.Message, tc.want[i].msg)
		}
		if !ok {
			t.Errorf("parseChoiceRule(%s, top=%v) diagnostics = %v; want %v", tc.rule, tc.top, d.list, tc.want)
		}
	}
}

func TestChoiceParseFields(t *testing.T) {
	t.Parallel()
	var d diagnostics
	raw := choiceJSON(t, `{"Variable": "$.x", "NumericLessThanPath": "$.y", "Next": "Low", "Comment": "why"}`).(map[string]any)
	r := parseChoiceRule(&d, testLocation("/States/C/Choices/0"), raw, true)
	if len(d.list) != 0 {
		t.Fatalf("parseChoiceRule: %v", d.list)
	}
	if r.Next != "Low" || r.Comment != "why" || r.Operator != "NumericLessThanPath" ||
		r.Variable.String() != "$.x" || r.OperandPath.String() != "$.y" || r.Operand != nil {
		t.Errorf("parseChoiceRule = %+v; want Next Low, Comment why, NumericLessThanPath $.x $.y", r)
	}
}

func FuzzChoiceRule(f *testing.F) {
	for _, tc := range corpusChoiceCases {
		f.Add(tc.rule, tc.input)
	}
	f.Add(`{"And": [{"Variable": "$.a[*]", "StringMatches": "\\*a*\\"}], "Next": "S"}`, `{"a": ["x"]}`)
	f.Add(`{"Not": {"Variable": "$..x", "TimestampEqualsPath": "$.t"}}`, `{"x": 1e999, "t": "2020-01-01T00:00:00Z"}`)
	f.Fuzz(func(t *testing.T, rule, input string) {
		rv, ok := fuzzChoiceJSON(rule)
		if !ok {
			return
		}
		raw, ok := rv.(map[string]any)
		if !ok {
			return
		}
		var d diagnostics
		r := parseChoiceRule(&d, testLocation("/"), raw, false)
		if len(d.list) > 0 {
			return
		}
		in, ok := fuzzChoiceJSON(input)
		if !ok {
			return
		}
		_, fail := r.eval(in, map[string]any{})
		if fail != nil && fail.Name != ErrRuntime {
			t.Errorf("eval(%s) on %s failed with %v; want only States.Runtime", rule, input, fail)
		}
	})
}

// fuzzChoiceJSON parses fuzzed JSON, skipping documents ParseJSON rejects
// or panics on: this fuzz target checks the Choice rules, and ojg v1.28.5
// panics on some malformed input (e.g. `{"":f,"":true0`), which the JSON
// layer must guard against on its own.
func fuzzChoiceJSON(s string) (v any, ok bool) {
	defer func() {
		if recover() != nil {
			v, ok = nil, false
		}
	}()
	v, err := ParseJSON([]byte(s))
	return v, err == nil
}

func TestChoiceCompareNumbers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b any
		want int
	}{
		{int64(1), float64(1), 0},
		{int64(9007199254740993), float64(9007199254740992), 1},
		{json.Number("123456789012345678901234567890"), json.Number("123456789012345678901234567891"), -1},
		{json.Number("1e400"), float64(1e308), 1},
		{json.Number("123456789012345678901234567890e-500000"), int64(0), 0}, // too small for float64: rounds to 0
		{json.Number("-1e999999"), int64(-5), -1},
		{float64(-0.5), int64(0), -1},
	}
	for _, tc := range tests {
		if got := compareNumbers(tc.a, tc.b); got != tc.want {
			t.Errorf("compareNumbers(%v, %v) = %d; want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

// testLocation turns a JSON pointer without escapes into a location.
func testLocation(pointer string) *location {
	var l *location
	for _, t := range strings.Split(pointer, "/")[1:] {
		if t != "" {
			l = l.at(t)
		}
	}
	return l
}
