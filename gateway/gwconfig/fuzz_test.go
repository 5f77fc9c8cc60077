package gwconfig

import "testing"

// FuzzParse feeds arbitrary bytes as config.yaml and gateway.json: never a
// panic, and a setting is only reported by a document that was used.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"multiplex_profiles: yes\n", "gateway:\n  multiplex_profiles: on\n", "a: &a {multiplex_profiles: 1}\n<<: *a\n",
		"<<: [*x]\n", "? [1]\n: 2\n", "a: !!omap [b: 1]\n", "!!set {a}\n", "x: 2001-02-29\n", "--- a\n--- b\n",
		`{"multiplex_profiles": NaN, "gateway": {"multiplex_profiles": [1]}}`, "[" + "[1]" + "]",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if s, err := parseYAML(data); err == nil {
			if (s.hasTop || s.hasNested) && !s.ok {
				t.Fatalf("a setting from an unused document: %+v", s)
			}
		}
		if v, err := decodeJSON(data); err == nil {
			_ = jsonValue(v).coerce()
		}
	})
}
