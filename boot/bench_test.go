package boot

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func BenchmarkPlan100(b *testing.B)   { benchmarkPlan(b, 100) }
func BenchmarkPlan10000(b *testing.B) { benchmarkPlan(b, 10000) }

// benchmarkPlan plans a home with n named profiles, each with a gateway-sized
// state file, a lifecycle ledger and, for one in three, a stale PID file.
func benchmarkPlan(b *testing.B, n int) {
	home := b.TempDir()
	state := []byte(`{"kind":"hermes-gateway","pid":4242,"argv":["hermes","gateway","run","--replace"],` +
		`"start_time":987654,"gateway_state":"running","exit_reason":null,"restart_requested":false,` +
		`"active_agents":0,"platforms":{"telegram":{"state":"connected","error_code":null,` +
		`"updated_at":"2026-06-30T12:00:00+00:00"}},"updated_at":"2026-06-30T12:00:01+00:00"}`)
	for i := range n {
		dir := filepath.Join(home, "profiles", fmt.Sprintf("p%05d", i))
		files := map[string][]byte{
			"SOUL.md":                      []byte("soul"),
			"gateway_state.json":           state,
			"state/gateway.lifecycle.json": []byte(`{"phase":"exited","pid":4242}`),
		}
		if i%3 == 0 {
			files["gateway.pid"] = []byte(`{"pid":4242}`)
		}
		for name, data := range files {
			path := filepath.Join(dir, name)
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				b.Fatal(err)
			}
			if err := os.WriteFile(path, data, 0o644); err != nil {
				b.Fatal(err)
			}
		}
	}
	in := Inputs{Home: home, Now: t0}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		p, err := MakePlan(in)
		if err != nil || len(p.Slots) != n+1 {
			b.Fatalf("plan: %v, %d slots", err, len(p.Slots))
		}
	}
}
