package gateway

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"
)

// FuzzReadState feeds arbitrary bytes as gateway_state.json. Properties: no
// panic; either a state or exactly one warning naming the file; a valid JSON
// object is always accepted; Intent always decides; a merge-write keeps every
// key with its exact (compact) value.
func FuzzReadState(f *testing.F) {
	for _, seed := range []string{
		gatewayRecord,
		`{"gateway_state":"running"}`,
		`{"desired_state":"stopped","gateway_state":"running"}`,
		`{"gateway_state":"draining","desired_state":null}`,
		"\xEF\xBB\xBF{\"gateway_state\":\"degraded\"}",
		`{"a":NaN,"b":-Infinity,"c":"NaN \" Infinity"}`,
		`{"gateway_state":{"x":[1,2,{"y":null}]}}`,
		`{"k":1,"k":2}`,
		`[1,2]`, `"s"`, `{`, ``, "\xff",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, content []byte) {
		home := t.TempDir()
		path := filepath.Join(home, StateFile)
		if err := os.WriteFile(path, content, 0o644); err != nil {
			t.Fatal(err)
		}
		st, warns := ReadState(home)
		if st.Exists() == (len(warns) == 1) || len(warns) > 1 {
			t.Fatalf("exists=%v with warnings %v", st.Exists(), warns)
		}
		if len(warns) == 1 && warns[0].Path != path {
			t.Fatalf("warning names %q, not the file", warns[0].Path)
		}
		body := bytes.TrimPrefix(content, utf8BOM)
		if json.Valid(body) && utf8.Valid(body) && firstByte(body) == '{' && !st.Exists() {
			t.Fatalf("valid object refused: %v", warns)
		}
		in, _ := Intent(st)
		if in.Autostart() && (in.Value != StateRunning || !in.Set) {
			t.Fatalf("autostart from %+v", in)
		}
		if st.Exists() {
			checkRoundTrip(t, content, st)
		}
		if st.Exists() && len(content)%8 == 0 { // the fsync'd path, on a deterministic sample
			checkMergeKeeps(t, home, st)
		}
	})
}

// checkRoundTrip is the in-memory half of a merge-write: decode, set, encode, decode.
func checkRoundTrip(t *testing.T, content []byte, before State) {
	t.Helper()
	obj, err := decodeObject(content)
	if err != nil {
		t.Fatal(err)
	}
	if err := obj.set(KeyDesiredState, StateStopped); err != nil {
		t.Fatal(err)
	}
	again, err := decodeObject(obj.encode())
	if err != nil {
		t.Fatalf("re-encoded object unreadable: %v\n%s", err, obj.encode())
	}
	sameKeys(t, before, State{obj: again})
}

func sameKeys(t *testing.T, before, after State) {
	t.Helper()
	for _, k := range before.Keys() {
		if k == KeyDesiredState {
			continue
		}
		a, _ := after.Raw(k)
		b, _ := before.Raw(k)
		if !bytes.Equal(a, b) {
			t.Fatalf("key %q: %s became %s", k, b, a)
		}
	}
	if v, _ := after.String(KeyDesiredState); v != StateStopped {
		t.Fatalf("desired_state = %q", v)
	}
}

func checkMergeKeeps(t *testing.T, home string, before State) {
	t.Helper()
	if err := MergeWrite(home, map[string]any{KeyDesiredState: StateStopped}); err != nil {
		t.Fatal(err)
	}
	after, warns := ReadState(home)
	if len(warns) != 0 {
		t.Fatalf("rewrite unreadable: %v", warns)
	}
	sameKeys(t, before, after)
	in, _ := Intent(after)
	if in.Autostart() {
		t.Fatal("desired_state=stopped autostarts")
	}
}

// FuzzParseStatStartTime: any /proc/PID/stat content parses or errors, never panics.
func FuzzParseStatStartTime(f *testing.F) {
	f.Add([]byte("1 (init) S 0 1 1 0 -1 4194560 1 2 3 4 5 6 7 8 20 0 1 0 42 1 2"))
	f.Add([]byte("1 (a) b) ) S"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = parseStatStartTime(b)
	})
}
