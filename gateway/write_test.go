package gateway

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hermes-init/hermes-init/gateway/homefs"
	"github.com/matryer/is"
)

// gatewayRecord is shaped like what the gateway writes, with keys hermes-init
// knows nothing about, odd spellings and values that a decode/encode round
// trip through Go types would change.
const gatewayRecord = `{"kind":"hermes-gateway","pid":4242,"argv":["hermes","gateway","run","--replace"],` +
	`"start_time":123456789012345678901234567890,"gateway_state":"draining","exit_reason":null,` +
	`"platforms":{"telegram":{"state":"connected","updated_at":"2026-06-30T12:00:00+00:00"}},` +
	`"f":1.50,"e":1E+2,"u":"caf\u00e9 <&>","k\u0065y":true,"updated_at":"2026-06-30T12:00:01+00:00"}`

func TestMergeWriteKeepsEverything(t *testing.T) {
	is := is.New(t)
	home := t.TempDir()
	path := write(t, home, StateFile, "\xEF\xBB\xBF"+gatewayRecord)
	is.NoErr(os.Chmod(path, 0o640))
	is.NoErr(MergeWrite(home, map[string]any{"desired_state": "stopped", "updated_at": 1700000000, "b_new": 1, "a_new": "x"}))
	got := read(t, path)
	// Existing keys stay in place with their exact bytes; updated_at is
	// replaced in its position; new keys are appended in sorted order.
	want := strings.Replace(gatewayRecord, `"updated_at":"2026-06-30T12:00:01+00:00"}`, `"updated_at":1700000000,"a_new":"x","b_new":1,"desired_state":"stopped"}`, 1) + "\n"
	is.Equal(got, want)
	fi, err := os.Stat(path)
	is.NoErr(err)
	is.Equal(fi.Mode().Perm(), os.FileMode(0o640)) // the mode of the replaced file is kept
	assertNoTemp(t, home)
}

func TestMergeWriteFreshFile(t *testing.T) {
	cases := []struct{ name, content string }{
		{"missing", ""},
		{"invalid JSON", `{"gateway_state":`},
		{"not an object", `["running"]`},
		{"not UTF-8", "{\"a\":\"\xff\"}"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			is := is.New(t)
			home := t.TempDir()
			if c.content != "" {
				write(t, home, StateFile, c.content)
			}
			is.NoErr(RecordDesiredState(home, "running", time.Unix(1700000000, 0)))
			is.Equal(read(t, filepath.Join(home, StateFile)), `{"desired_state":"running","updated_at":1700000000}`+"\n")
			fi, err := os.Stat(filepath.Join(home, StateFile))
			is.NoErr(err)
			if c.content == "" {
				is.Equal(fi.Mode().Perm(), os.FileMode(0o644)) // new file mode
			}
		})
	}
}

func TestMergeWriteRefusesWhatItCannotRead(t *testing.T) {
	cases := []struct {
		name   string
		setup  func(t *testing.T, home string) string // returns a file that must stay untouched
		reason string
	}{
		{"symlink", func(t *testing.T, home string) string {
			target := write(t, t.TempDir(), "real.json", `{"gateway_state":"running"}`)
			must(t, os.Symlink(target, filepath.Join(home, StateFile)))
			return target
		}, "symbolic link"},
		{"directory", func(t *testing.T, home string) string {
			must(t, os.Mkdir(filepath.Join(home, StateFile), 0o755))
			return ""
		}, "not a regular file"},
		{"over 1 MiB", func(t *testing.T, home string) string {
			return write(t, home, StateFile, padTo(`{"gateway_state":"running","pad":""}`, MaxStateBytes+1))
		}, "too large"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			is := is.New(t)
			home := t.TempDir()
			keep := c.setup(t, home)
			var before string
			if keep != "" {
				before = read(t, keep)
			}
			err := MergeWrite(home, map[string]any{"desired_state": "stopped"})
			is.True(err != nil)
			is.True(strings.Contains(err.Error(), filepath.Join(home, StateFile))) // names the file
			is.True(strings.Contains(err.Error(), c.reason))
			if keep != "" {
				is.Equal(read(t, keep), before) // untouched
			}
			assertNoTemp(t, home)
		})
	}
	err := MergeWrite(filepath.Join(t.TempDir(), "missing"), map[string]any{"a": 1})
	is.New(t).True(err != nil) // a missing home is an error, not a new directory
}

func TestMergeWriteBadValue(t *testing.T) {
	is := is.New(t)
	home := t.TempDir()
	write(t, home, StateFile, `{"a":1}`)
	err := MergeWrite(home, map[string]any{"c": make(chan int)})
	is.True(err != nil)
	is.Equal(read(t, filepath.Join(home, StateFile)), `{"a":1}`) // nothing written
}

func TestMergeWriteRemovesStaleTemp(t *testing.T) {
	is := is.New(t)
	home := t.TempDir()
	write(t, home, fmt.Sprintf(".gateway_state.json.hermes-init.%d.tmp", os.Getpid()), "half-writ")
	is.NoErr(MergeWrite(home, map[string]any{"a": 1}))
	assertNoTemp(t, home)
	is.Equal(read(t, filepath.Join(home, StateFile)), `{"a":1}`+"\n")
}

func TestMergeWriteConcurrent(t *testing.T) {
	is := is.New(t)
	home := t.TempDir()
	write(t, home, StateFile, gatewayRecord)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			is.NoErr(MergeWrite(home, map[string]any{fmt.Sprintf("k%02d", i): i}))
		})
	}
	wg.Wait()
	st, warns := ReadState(home)
	is.Equal(len(warns), 0)
	for i := range 20 {
		_, ok := st.Raw(fmt.Sprintf("k%02d", i))
		is.True(ok) // no update lost
	}
	_, ok := st.Raw("platforms")
	is.True(ok)
}

func TestCreateStateAt(t *testing.T) {
	fields := []Field{{"gateway_state", "running"}, {"desired_state", "running"}, {"timestamp", 1700000000}}
	const want = `{"gateway_state":"running","desired_state":"running","timestamp":1700000000}` + "\n"
	cases := []struct {
		name    string
		setup   func(t *testing.T, home string)
		created bool
	}{
		{"absent", func(t *testing.T, home string) {}, true},
		{"regular file", file(`{"gateway_state":"stopped"}`), false},
		{"empty file", file(""), false},
		{"directory", func(t *testing.T, home string) { must(t, os.Mkdir(filepath.Join(home, StateFile), 0o755)) }, false},
		{"dangling symlink", func(t *testing.T, home string) {
			must(t, os.Symlink(filepath.Join(t.TempDir(), "x"), filepath.Join(home, StateFile)))
		}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			is := is.New(t)
			home := t.TempDir()
			c.setup(t, home)
			before, _ := os.ReadFile(filepath.Join(home, StateFile))
			d, err := homefs.Open(home, false)
			is.NoErr(err)
			defer d.Close()
			created, err := CreateStateAt(d, fields)
			is.NoErr(err)
			is.Equal(created, c.created)
			after, _ := os.ReadFile(filepath.Join(home, StateFile))
			if c.created {
				is.Equal(string(after), want)
			} else {
				is.Equal(after, before) // never replaced
			}
			assertNoTemp(t, home)
			created, err = CreateStateAt(d, fields)
			is.NoErr(err)
			is.True(!created) // a second call never writes
		})
	}
}

// TestWriteSurvivesKill kills a process looping MergeWrite at arbitrary
// instants: the file must always be a complete object with every gateway key.
func TestWriteSurvivesKill(t *testing.T) {
	if home := os.Getenv("GATEWAY_TEST_KILL_HOME"); home != "" {
		for i := 0; ; i++ {
			if err := MergeWrite(home, map[string]any{"counter": i, "pad": strings.Repeat("x", i%50000)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	is := is.New(t)
	home := t.TempDir()
	write(t, home, StateFile, gatewayRecord)
	for round := range 15 {
		cmd := helper(t, "^TestWriteSurvivesKill$", "GATEWAY_TEST_KILL_HOME="+home)
		is.NoErr(cmd.Start())
		if round == 0 {
			waitWritten(t, home) // a loaded machine may start the helper late
		}
		time.Sleep(time.Duration(5+round*3) * time.Millisecond) // an arbitrary instant, not a deadline
		is.NoErr(cmd.Process.Signal(syscall.SIGKILL))
		_ = cmd.Wait()
		st, warns := ReadState(home)
		is.Equal(len(warns), 0) // never half written
		for _, k := range []string{"kind", "platforms", "u", "key", "gateway_state"} {
			_, ok := st.Raw(k)
			is.True(ok) // the gateway's keys survive
		}
	}
	b, err := os.ReadFile(filepath.Join(home, StateFile))
	is.NoErr(err)
	is.True(json.Valid(b))
	st, _ := ReadState(home)
	counter, ok := st.Raw("counter")
	is.True(ok) // the helper did write before it was killed
	t.Logf("last counter written: %s", counter)
}

// waitWritten polls until the helper's first write has landed.
func waitWritten(t *testing.T, home string) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if st, _ := ReadState(home); st.Exists() {
			if _, ok := st.Raw("counter"); ok {
				return
			}
		}
	}
	t.Fatal("the helper never wrote")
}

func assertNoTemp(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	must(t, err)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}
}
