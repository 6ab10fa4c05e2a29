package statelang

import "testing"

// TestItemBatcher: a distributed Map's ItemBatcher hands its iterations
// the selected items in batches, bounded by count and by JSON bytes, with
// the BatchInput; the Path twins read their bounds from the input or a
// variable; bad bounds and an item too big for a batch fail the state.
func TestItemBatcher(t *testing.T) {
	const proc = `"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`
	tests := []struct {
		name, def, input string
		output, err      string
	}{
		{name: "count and BatchInput",
			def:    `{"StartAt":"M","States":{"M":{"Type":"Map","ItemSelector":{"v.$":"$$.Map.Item.Value"},"ItemBatcher":{"MaxItemsPerBatch":2,"BatchInput":{"run.$":"$.run"}},"ItemsPath":"$.items",` + proc + `,"End":true}}}`,
			input:  `{"run":"r1","items":[1,2,3,4,5]}`,
			output: `[{"BatchInput":{"run":"r1"},"Items":[{"v":1},{"v":2}]},{"BatchInput":{"run":"r1"},"Items":[{"v":3},{"v":4}]},{"BatchInput":{"run":"r1"},"Items":[{"v":5}]}]`},
		{name: "bytes",
			def:    `{"StartAt":"M","States":{"M":{"Type":"Map","ItemBatcher":{"MaxInputBytesPerBatch":12},` + proc + `,"End":true}}}`,
			input:  `["aa","bb","cc"]`,
			output: `[{"Items":["aa","bb"]},{"Items":["cc"]}]`},
		{name: "paths from a variable and the input",
			def: `{"StartAt":"A","States":{"A":{"Type":"Pass","Assign":{"per":"3"},"Next":"M"},"M":{"Type":"Map","ItemsPath":"$.items",
				"ItemBatcher":{"MaxItemsPerBatchPath":"$per","MaxInputBytesPerBatchPath":"$.bytes"},` + proc + `,"End":true}}}`,
			input:  `{"bytes":1000,"items":[1,2,3,4]}`,
			output: `[{"Items":[1,2,3]},{"Items":[4]}]`},
		{name: "JSONata",
			def:    `{"QueryLanguage":"JSONata","StartAt":"M","States":{"M":{"Type":"Map","Items":"{% $states.input %}","ItemBatcher":{"MaxItemsPerBatch":"{% 1 + 1 %}","BatchInput":{"n":"{% $count($states.input) %}"}},` + proc + `,"End":true}}}`,
			input:  `[1,2,3]`,
			output: `[{"BatchInput":{"n":3},"Items":[1,2]},{"BatchInput":{"n":3},"Items":[3]}]`},
		{name: "bad bound",
			def:   `{"StartAt":"M","States":{"M":{"Type":"Map","ItemBatcher":{"MaxItemsPerBatchPath":"$.n"},"ItemsPath":"$.items",` + proc + `,"End":true}}}`,
			input: `{"n":"x","items":[1]}`, err: ErrRuntime},
		{name: "item over the byte bound",
			def:   `{"StartAt":"M","States":{"M":{"Type":"Map","ItemBatcher":{"MaxInputBytesPerBatch":4},` + proc + `,"End":true}}}`,
			input: `["toolong"]`, err: ErrRuntime},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Parse([]byte(tt.def))
			if err != nil {
				t.Fatal(err)
			}
			in, err := ParseJSON([]byte(tt.input))
			if err != nil {
				t.Fatal(err)
			}
			res := Run(m, in, RunOptions{})
			if tt.err != "" {
				if res.Failure == nil || res.Failure.Name != tt.err {
					t.Fatalf("result = %s %s %+v; want %s", res.Status, MarshalString(res.Output), res.Failure, tt.err)
				}
				return
			}
			if got := MarshalString(res.Output); res.Status != "SUCCEEDED" || got != tt.output {
				t.Errorf("result = %s %s %+v; want %s", res.Status, got, res.Failure, tt.output)
			}
		})
	}
	if _, err := Parse([]byte(`{"StartAt":"M","States":{"M":{"Type":"Map","ItemBatcher":{},` + proc + `,"End":true}}}`)); err == nil {
		t.Error("an ItemBatcher without a bound parsed")
	}
}
