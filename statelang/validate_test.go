package statelang

import (
	"strings"
	"testing"
)

// TestParseStricter: what AWS rejects and Stepwise once took, each with
// AWS's diagnostic code, where AWS gives it, and location (issue 14).
func TestParseStricter(t *testing.T) {
	pass := func(name string) string { return `"` + name + `":{"Type":"Pass","End":true}` }
	branch := func(states string, start string) string {
		return `{"StartAt":"` + start + `","States":{` + states + `}}`
	}
	mapOf := func(fields string) string {
		return `{"StartAt":"M","States":{"M":{"Type":"Map",` + fields + `,"ItemProcessor":` + branch(pass("I"), "I") + `,"End":true}}}`
	}
	dmapOf := func(fields string) string {
		return `{"StartAt":"M","States":{"M":{"Type":"Map",` + fields +
			`,"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"I","States":{` + pass("I") + `}},"End":true}}}`
	}
	tests := []struct {
		name, def          string
		code, at, fragment string
	}{
		{"no terminal state", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Pass","Next":"A"}}}`,
			"MISSING_END_STATE", "", "Workflow has no terminal state"},
		{"no terminal state in a branch", `{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[` +
			branch(`"A":{"Type":"Wait","Seconds":1,"Next":"A"}`, "A") + `]}}}`,
			"MISSING_END_STATE", "/States/P/Branches/0", "Workflow has no terminal state"},
		{"missing target", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"Z"},"B":{"Type":"Succeed"}}}`,
			"MISSING_TRANSITION_TARGET", "/States/A/Next", "Missing 'Next' target: Z"},
		{"unreachable", `{"StartAt":"A","States":{` + pass("A") + `,` + pass("B") + `}}`,
			"MISSING_TRANSITION_TARGET", "/States/B", `State "B" is not reachable.`},
		{"duplicate across branches", `{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[` +
			branch(pass("X"), "X") + `,` + branch(pass("X"), "X") + `]}}}`,
			"DUPLICATE_STATE_NAME", "/States/P/Branches/1/States/X", "Duplicate State name: X"},
		{"duplicate of an outer state in a processor", `{"StartAt":"M","States":{"M":{"Type":"Map","Next":"Z","ItemProcessor":` +
			branch(pass("Z"), "Z") + `},` + pass("Z") + `}}`,
			"DUPLICATE_STATE_NAME", "/States/M/ItemProcessor/States/Z", "Duplicate State name: Z"},
		{"name written twice in one States object", `{"StartAt":"A","States":{` + pass("A") + `,` + pass("A") + `}}`,
			"DUPLICATE_STATE_NAME", "/States/A", "Duplicate State name: A"},
		{"name written twice in a branch", `{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[` +
			branch(pass("X")+`,`+pass("X"), "X") + `]}}}`,
			"DUPLICATE_STATE_NAME", "/States/P/Branches/0/States/X", "Duplicate State name: X"},
		{"MaxConcurrency and its Path", mapOf(`"MaxConcurrency":1,"MaxConcurrencyPath":"$.m"`),
			"SCHEMA_VALIDATION_FAILED", "/States/M", "Only one of 'MaxConcurrency' or 'MaxConcurrencyPath'"},
		{"ToleratedFailureCount and its Path", mapOf(`"ToleratedFailureCount":1,"ToleratedFailureCountPath":"$.m"`),
			"SCHEMA_VALIDATION_FAILED", "/States/M", "Only one of 'ToleratedFailureCount' or 'ToleratedFailureCountPath'"},
		{"ToleratedFailurePercentage and its Path", mapOf(`"ToleratedFailurePercentage":1,"ToleratedFailurePercentagePath":"$.m"`),
			"SCHEMA_VALIDATION_FAILED", "/States/M", "Only one of 'ToleratedFailurePercentage' or 'ToleratedFailurePercentagePath'"},
		{"TimeoutSeconds and its Path", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:x:1:function:f","TimeoutSeconds":5,"TimeoutSecondsPath":"$.t","End":true}}}`,
			"SCHEMA_VALIDATION_FAILED", "/States/T", "Only one of 'TimeoutSeconds' or 'TimeoutSecondsPath'"},
		{"Wait Seconds and Timestamp", `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":5,"TimestampPath":"$.t","End":true}}}`,
			"SCHEMA_VALIDATION_FAILED", "/States/W", "exactly one of"},
		{"malformed escape in an intrinsic string", `{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"x.$":"States.Format('a \\\"b\\\" {}', $.c)"},"End":true}}}`,
			"SCHEMA_VALIDATION_FAILED", "/States/P/Parameters/x.$", `invalid escape sequence '\"'`},
		{"ErrorPath intrinsic giving no string", `{"StartAt":"F","States":{"F":{"Type":"Fail","ErrorPath":"States.ArrayLength($.a)"}}}`,
			"SCHEMA_VALIDATION_FAILED", "/States/F/ErrorPath", "returns a string"},
		{"CausePath intrinsic giving no string", `{"StartAt":"F","States":{"F":{"Type":"Fail","CausePath":"States.StringToJson($.a)"}}}`,
			"SCHEMA_VALIDATION_FAILED", "/States/F/CausePath", "returns a string"},
		{"JSONata Items an object", `{"QueryLanguage":"JSONata","StartAt":"M","States":{"M":{"Type":"Map","Items":{"a":1},"ItemProcessor":` +
			branch(pass("I"), "I") + `,"End":true}}}`,
			"SCHEMA_VALIDATION_FAILED", "/States/M/Items", "must be a JSON array or a JSONata expression"},
		{"ResultWriter empty", dmapOf(`"ResultWriter":{}`),
			"SCHEMA_VALIDATION_FAILED", "/States/M/ResultWriter", "needs the field 'WriterConfig', or the fields 'Resource' and 'Parameters'"},
		{"ResultWriter Parameters without Resource", dmapOf(`"ResultWriter":{"Parameters":{"Bucket":"b"},"WriterConfig":{}}`),
			"SCHEMA_VALIDATION_FAILED", "/States/M/ResultWriter/Parameters", "needs the field 'Resource'"},
		{"ResultWriter Arguments without Resource", `{"QueryLanguage":"JSONata","StartAt":"M","States":{"M":{"Type":"Map",` +
			`"ResultWriter":{"Arguments":{"Bucket":"b"}},"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},"End":true}}}`,
			"SCHEMA_VALIDATION_FAILED", "/States/M/ResultWriter", "needs the field 'WriterConfig', or the fields 'Resource' and 'Arguments'"},
		{"WriterConfig Transformation", dmapOf(`"ResultWriter":{"WriterConfig":{"Transformation":"SQUASH"}}`),
			"SCHEMA_VALIDATION_FAILED", "/States/M/ResultWriter/WriterConfig/Transformation", "must be one of NONE, COMPACT, FLATTEN"},
		{"WriterConfig OutputType", dmapOf(`"ResultWriter":{"WriterConfig":{"OutputType":"CSV"}}`),
			"SCHEMA_VALIDATION_FAILED", "/States/M/ResultWriter/WriterConfig/OutputType", "must be one of JSON, JSONL"},
		{"WriterConfig OutputType not a string", dmapOf(`"ResultWriter":{"WriterConfig":{"OutputType":1}}`),
			"SCHEMA_VALIDATION_FAILED", "/States/M/ResultWriter/WriterConfig/OutputType", "Expected value of type: String"},
		{"WriterConfig unknown field", dmapOf(`"ResultWriter":{"WriterConfig":{"Compression":"GZIP"}}`),
			"SCHEMA_VALIDATION_FAILED", "/States/M/ResultWriter/WriterConfig/Compression", "is not supported by WriterConfig"},
		{"WriterConfig not an object", dmapOf(`"ResultWriter":{"WriterConfig":"JSONL"}`),
			"SCHEMA_VALIDATION_FAILED", "/States/M/ResultWriter/WriterConfig", "Expected value of type: Object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds := rejected(t, tt.def)
			for _, d := range ds {
				if d.Code == tt.code && d.Location == tt.at && strings.Contains(d.Message, tt.fragment) {
					return
				}
			}
			t.Errorf("Parse(%s) = %v; want %s at %q containing %q", tt.def, ds, tt.code, tt.at, tt.fragment)
		})
	}
}

// TestParseStricterAccepts: what AWS accepts stays accepted.
func TestParseStricterAccepts(t *testing.T) {
	for _, def := range []string{
		// a loop with a way out
		`{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"C"},"C":{"Type":"Choice","Choices":[{"Variable":"$.x","IsPresent":true,"Next":"A"}],"Default":"S"},"S":{"Type":"Succeed"}}}`,
		// MaxConcurrency beyond 2^31-1
		`{"StartAt":"M","States":{"M":{"Type":"Map","MaxConcurrency":2147483648,"ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},"End":true}}}`,
		// the escapes of intrinsic strings
		`{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"x.$":"States.Format('\\' \\{ \\} \\\\ {}', $.c)"},"End":true}}}`,
		// a string-returning intrinsic in CausePath
		`{"StartAt":"F","States":{"F":{"Type":"Fail","ErrorPath":"States.ArrayGetItem($.a, 0)","CausePath":"States.Format('x {}', $.c)"}}}`,
		// JSONata Items: an array, or an expression (checked when it runs)
		`{"QueryLanguage":"JSONata","StartAt":"M","States":{"M":{"Type":"Map","Items":[1,"{% 2 %}"],"ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},"Next":"N"},
		  "N":{"Type":"Map","Items":"{% 'not an array' %}","ItemProcessor":{"StartAt":"J","States":{"J":{"Type":"Pass","End":true}}},"End":true}}}`,
		// a key written twice in a payload template is no state name
		`{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"States":{"x":1,"x":2}},"End":true}}}`,
		// a Fail state alone ends the machine
		`{"StartAt":"A","States":{"A":{"Type":"Fail"}}}`,
		// a ResultWriter: a WriterConfig alone, a Resource and its
		// Parameters alone, or all three (Arguments in JSONata)
		`{"StartAt":"M","States":{"M":{"Type":"Map","ResultWriter":{"WriterConfig":{"Transformation":"FLATTEN","OutputType":"JSON"}},` +
			`"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},"End":true}}}`,
		`{"StartAt":"M","States":{"M":{"Type":"Map","ResultWriter":{"Resource":"arn:aws:states:::s3:putObject","Parameters":{"Bucket":"b","Prefix":"p"}},` +
			`"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},"End":true}}}`,
		`{"QueryLanguage":"JSONata","StartAt":"M","States":{"M":{"Type":"Map","ResultWriter":{"Resource":"arn:aws:states:::s3:putObject",` +
			`"Arguments":{"Bucket":"b","Prefix":"p"},"WriterConfig":{"Transformation":"COMPACT","OutputType":"JSONL"}},` +
			`"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},"End":true}}}`,
	} {
		if _, err := Parse([]byte(def)); err != nil {
			t.Errorf("Parse(%s) = %v; want it accepted", def, err)
		}
	}
}

// TestDiagnosticString: without a location, AWS writes "at null".
func TestDiagnosticString(t *testing.T) {
	d := Diagnostic{Code: "MISSING_END_STATE", Message: "Workflow has no terminal state"}
	if got, want := d.String(), "MISSING_END_STATE: Workflow has no terminal state at null"; got != want {
		t.Errorf("String() = %q; want %q", got, want)
	}
}

// TestParseCredentialsWithoutRoleArn: as AWS, Credentials without RoleArn
// is reported once, not with its other fields besides.
func TestParseCredentialsWithoutRoleArn(t *testing.T) {
	for _, def := range []string{
		`{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:x:1:function:f","Credentials":{"InvalidField":"x"},"End":true}}}`,
		`{"QueryLanguage":"JSONata","StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:x:1:function:f","Credentials":{"InvalidField":"x"},"End":true}}}`,
	} {
		ds := rejected(t, def)
		if len(ds) != 1 || ds[0].Location != "/States/T/Credentials" || ds[0].Message != "The field 'RoleArn' is required but was missing" {
			t.Errorf("Parse(%s) = %v; want only the missing RoleArn", def, ds)
		}
	}
}

// TestWarnings: valid definitions that are probably not what was meant
// get AWS's warning codes, with severity WARNING; Parse accepts them.
func TestWarnings(t *testing.T) {
	tests := []struct {
		name, def string
		want      []string // "CODE location"
	}{
		{"path without .$", `{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"a":"$.x","b":{"c":"$$.Execution.Id"},"d.$":"$.y","e":"plain"},"End":true}}}`,
			[]string{"NO_DOLLAR /States/P/Parameters/a", "NO_DOLLAR /States/P/Parameters/b/c"}},
		{"intrinsic without .$", `{"StartAt":"M","States":{"M":{"Type":"Map","ItemSelector":{"i":"States.Format('{}', $.x)"},"ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Task","Resource":"arn:aws:lambda:x:1:function:f","ResultSelector":{"r":"$.Payload"},"End":true}}},"End":true}}}`,
			[]string{"NO_DOLLAR /States/M/ItemSelector/i", "NO_DOLLAR /States/M/ItemProcessor/States/I/ResultSelector/r"}},
		{"path in a Pass Result", `{"StartAt":"P","States":{"P":{"Type":"Pass","Result":{"a.$":"$.x"},"End":true}}}`,
			[]string{"PASS_RESULT_IS_STATIC /States/P/Result"}},
		{"path in a Fail Cause", `{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"E","Cause":"$.cause"}}}`,
			[]string{"NO_PATH /States/F/Cause"}},
		{"nothing to say", `{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"a":"$ 5","b":"States are nice"},"Result":"$5","End":true}}}`, nil},
		{"JSONata states have no .$", `{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","Output":{"a":"$.x"},"End":true}}}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Parse([]byte(tt.def)); err != nil {
				t.Fatalf("Parse(%s) = %v; want it valid", tt.def, err)
			}
			var got []string
			for _, d := range Warnings([]byte(tt.def)) {
				if d.Severity != SeverityWarning {
					t.Errorf("Warnings: %v has severity %q; want WARNING", d, d.Severity)
				}
				got = append(got, d.Code+" "+d.Location)
			}
			if strings.Join(got, ", ") != strings.Join(tt.want, ", ") {
				t.Errorf("Warnings(%s) = %q; want %q", tt.def, got, tt.want)
			}
		})
	}
}
