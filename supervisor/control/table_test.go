package control

import "testing"

func TestFormatUptime(t *testing.T) {
	cases := map[float64]string{
		0: "-", 0.4: "0s", 45.9: "45s", 60: "1m00s", 192.4: "3m12s", 3599: "59m59s",
		3600: "1h00m", 7500: "2h05m", 86399: "23h59m", 86400: "1d00h", 3*86400 + 4*3600 + 59: "3d04h",
	}
	for in, want := range cases {
		if got := formatUptime(in); got != want {
			t.Errorf("formatUptime(%v) = %q, want %q", in, got, want)
		}
	}
}

func TestFormatMemory(t *testing.T) {
	cases := map[uint64]string{
		0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 50_593_792: "48.2 MiB",
		3 << 30: "3.0 GiB", 1 << 62: "4.0 EiB",
	}
	for in, want := range cases {
		if got := formatMemory(&in); got != want {
			t.Errorf("formatMemory(%d) = %q, want %q", in, got, want)
		}
	}
	if got := formatMemory(nil); got != "-" {
		t.Errorf("formatMemory(nil) = %q, want -", got)
	}
}

func TestFormatExit(t *testing.T) {
	one, zero := 1, 0
	cases := []struct {
		e    *Exit
		want string
	}{
		{nil, "-"},
		{&Exit{Code: &one}, "exit 1"},
		{&Exit{Code: &zero}, "exit 0"},
		{&Exit{Signal: "TERM"}, "signal TERM"},
		{&Exit{Signal: "KILL", OOM: true}, "signal KILL (OOM)"},
		{&Exit{Code: &one, OOM: true}, "exit 1 (OOM)"},
		{&Exit{}, "unknown"},
	}
	for _, c := range cases {
		if got := formatExit(c.e); got != c.want {
			t.Errorf("formatExit(%+v) = %q, want %q", c.e, got, c.want)
		}
	}
}
