package gateway

import (
	"testing"

	"github.com/matryer/is"
)

// TestPyText: the labels are what Python's str() prints for the value
// json.loads makes of the text (checked against CPython 3.11).
func TestPyText(t *testing.T) {
	cases := []struct{ raw, want string }{
		{"\"running\"", "running"},
		{"\"running \"", "running "},
		{"\" running\"", " running"},
		{"\"a\\nb\"", "a\nb"},
		{"true", "True"},
		{"false", "False"},
		{"1", "1"},
		{"-0", "0"},
		{"0", "0"},
		{"12345678901234567890123456789", "12345678901234567890123456789"},
		{"1.0", "1.0"},
		{"-0.0", "-0.0"},
		{"0.5", "0.5"},
		{"1e5", "100000.0"},
		{"1E5", "100000.0"},
		{"1e16", "1e+16"},
		{"1.5e16", "1.5e+16"},
		{"1e15", "1000000000000000.0"},
		{"123456789012345678.0", "1.2345678901234568e+17"},
		{"0.0001", "0.0001"},
		{"0.00001", "1e-05"},
		{"1.5e-7", "1.5e-07"},
		{"1e400", "inf"},
		{"-1e400", "-inf"},
		{"NaN", "nan"},
		{"Infinity", "inf"},
		{"-Infinity", "-inf"},
		{"[]", "[]"},
		{"{}", "{}"},
		{"[\"a\", 1, null, true]", "['a', 1, None, True]"},
		{"{\"a\": 1, \"b\": [1.5, \"x\"]}", "{'a': 1, 'b': [1.5, 'x']}"},
		{"{\"k\":1,\"k\":2,\"j\":3}", "{'k': 2, 'j': 3}"},
		{"\"it's\"", "it's"},
		{"\"say \\\"hi\\\" it's\"", "say \"hi\" it's"},
		{"[\"it's\"]", "[\"it's\"]"},
		{"[\"say \\\"hi\\\"\"]", "['say \"hi\"']"},
		{"[\"\\u0001\\t\\u007f\\u00a0\\u00e9\\u2028\\ud83d\\ude00\\u200b\"]", "['\\x01\\t\\x7f\\xa0é\\u2028😀\\u200b']"},
		{"[\"back\\\\slash\"]", "['back\\\\slash']"},
		{"3.141592653589793", "3.141592653589793"},
		{"1e-5", "1e-05"},
		{"100.0", "100.0"},
		{"1e22", "1e+22"},
		{"[1e400, -0.0]", "[inf, -0.0]"},
		{"2.5e-05", "2.5e-05"},
		{"9007199254740993", "9007199254740993"},
	}
	for _, c := range cases {
		is.New(t).Equal(pyText([]byte(c.raw)), c.want) // label of the JSON text
	}
}
