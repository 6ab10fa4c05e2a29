package statelang

import "testing"

// TestWriteCallWriterConfig: a ResultWriter's WriterConfig reaches its
// WriteCall with AWS's defaults: NONE and JSON when the results are
// exported (a Resource), COMPACT when they are the state's result.
func TestWriteCallWriterConfig(t *testing.T) {
	proc := `"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}}`
	tests := []struct {
		writer, resource, transformation, outputType string
	}{
		{`{"Resource":"arn:aws:states:::s3:putObject","Parameters":{"Bucket":"b","Prefix.$":"$.p"}}`, WriterPutObject, TransformNONE, OutputJSON},
		{`{"Resource":"arn:aws:states:::s3:putObject","Parameters":{"Bucket":"b"},"WriterConfig":{"OutputType":"JSONL"}}`, WriterPutObject, TransformNONE, OutputJSONL},
		{`{"Resource":"arn:aws:states:::s3:putObject","Parameters":{"Bucket":"b"},"WriterConfig":{"Transformation":"FLATTEN"}}`, WriterPutObject, TransformFLATTEN, OutputJSON},
		{`{"WriterConfig":{}}`, "", TransformCOMPACT, OutputJSON},
		{`{"WriterConfig":{"Transformation":"NONE","OutputType":"JSONL"}}`, "", TransformNONE, OutputJSONL},
	}
	for _, tt := range tests {
		m, err := Parse([]byte(`{"StartAt":"M","States":{"M":{"Type":"Map","ResultWriter":` + tt.writer + `,` + proc + `,"End":true}}}`))
		if err != nil {
			t.Fatalf("Parse(%s) = %v", tt.writer, err)
		}
		wc, fl := m.Lookup("M").WriteCall(map[string]any{"p": "pre"}, &Context{}, &Env{})
		if fl != nil {
			t.Fatalf("WriteCall(%s) = %v", tt.writer, fl)
		}
		if wc.Resource != tt.resource || wc.Transformation != tt.transformation || wc.OutputType != tt.outputType {
			t.Errorf("WriteCall(%s) = %+v; want resource %q, %s, %s", tt.writer, wc, tt.resource, tt.transformation, tt.outputType)
		}
		if tt.resource != "" && wc.Parameters["Bucket"] != "b" {
			t.Errorf("WriteCall(%s).Parameters = %v; want Bucket b", tt.writer, wc.Parameters)
		}
	}
}
