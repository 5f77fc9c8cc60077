package main

import (
	"fmt"
	"strings"
)

// The "why" half of the reading: where hermes-init is behind a peer, what
// the measurements say the difference is made of and what would close it.
// Every number comes from this run; the explanations name what each number
// isolates (a row that differs from hermes-init in one respect).

func findRow(rows []*row, prefix string) *row {
	for _, r := range rows {
		if strings.HasPrefix(r.name, prefix) && len(r.samples) > 0 {
			return r
		}
	}
	return nil
}

func med(r *row, metric string) float64 {
	if r == nil {
		return 0
	}
	return r.dist(metric).med
}

// bestPeer is the peer with the lowest median of metric.
func bestPeer(rows []*row, metric string) *row {
	var best *row
	for _, r := range rows {
		if r.ref || r.aux || len(r.values(metric)) == 0 {
			continue
		}
		if best == nil || med(r, metric) < med(best, metric) {
			best = r
		}
	}
	return best
}

// behind reports whether some peer has a lower median than hermes-init.
func behind(rows []*row, metric string) (ref, best *row, ok bool) {
	ref, best = reference(rows), bestPeer(rows, metric)
	if ref == nil || best == nil || len(ref.values(metric)) == 0 {
		return ref, best, false
	}
	return ref, best, med(best, metric) < med(ref, metric)
}

func startWhy(b *bench, pid1, plain []*row) []string {
	ref, best, ok := behind(pid1, "ms")
	if !ok {
		return nil
	}
	base, floor := med(plain[0], "ms"), findRow(plain, "a Go program")
	none := findRow(pid1, "hermes-init --cgroup none")
	s := fmt.Sprintf("**Why hermes-init starts slower:** it adds %s ms to `unshare … /bin/true` where %s adds %s ms. ",
		num(med(ref, "ms")-med(pid1[0], "ms")), best.name, num(med(best, "ms")-med(pid1[0], "ms")))
	if floor != nil {
		s += fmt.Sprintf("A Go program that does nothing already adds %s ms to a bare /bin/true (the floor row): the runtime's start and exit. ", num(med(floor, "ms")-base))
	}
	if t := b.initTrace; t != nil {
		s += fmt.Sprintf("hermes-init's package initialisation then runs until %s ms after exec, %s ms of it in `supervisor/earlysignal`, which enables some 60 signals one at a time (`sigenable` hands each to the runtime's signal-mask thread and waits; under load every hand-off waits for a CPU). ",
			num(t.done.med), num(t.early.med))
	}
	s += "`main` then reads the configuration, `/etc/passwd` and `/etc/group` and `/proc/self/mountinfo`, creates its cgroup and the command's before the clone and removes them after"
	cgroupCost := 0.0
	if none != nil {
		cgroupCost = med(ref, "ms") - med(none, "ms")
		cost := fmt.Sprintf("so the cgroups account for %s ms here", num(cgroupCost))
		if cgroupCost < 0.1 {
			cost = "so the cgroups cost nothing measurable here"
		}
		s += fmt.Sprintf(" (as PID 1 `--cgroup none` takes %s ms, %s; not as PID 1 it is slower, because without a cgroup hermes-init finds leftovers by reading `/proc/*/stat` and `/proc/*/environ` of every process on the host)",
			num(med(none, "ms")), cost)
	}
	s += ". **What would close it:** enable only the stop, child and fault signals before `main` and the forward-only ones (user, real-time) after COMMAND is started, keeping them blocked meanwhile so none is lost — to be weighed against what docs/signals.md (\"Signals from the first instruction\") promises; " +
		"skip the user and group files when no user is configured"
	if cgroupCost > 0.3 {
		s += fmt.Sprintf("; a lighter cgroup setup (%s ms here)", num(cgroupCost))
	}
	s += ". The Go floor itself stays."
	return []string{s}
}

func stopWhy(prompt, strays []*row, left map[string]string) []string {
	var out []string
	if ref, best, ok := behind(prompt, "ms"); ok {
		s := fmt.Sprintf("**Why hermes-init stops a prompt child slower:** %s ms against %s ms for %s. After the child is reaped hermes-init checks its cgroup for leftovers and removes its cgroups, then the Go runtime exits; the C inits exit as soon as the child is reaped.",
			num(med(ref, "ms")), num(med(best, "ms")), best.name)
		s += fmt.Sprintf(" The difference, %s ms, is small against a `docker stop` that takes tens of milliseconds. ", num(med(ref, "ms")-med(best, "ms")))
		goSide := "the SIGTERM and then the SIGCHLD each reach hermes-init's signal loop through the Go runtime's handler, the `os/signal` goroutine and a channel, and a multi-threaded Go process exits"
		if none := findRow(prompt, "hermes-init --cgroup none"); none != nil {
			if cost := med(ref, "ms") - med(none, "ms"); cost > 0.1 {
				s += fmt.Sprintf("Without cgroups (`--cgroup none`) it takes %s ms: %s ms is the cgroup check and removal that make the stop certain to leave nothing behind; the rest is the Go side: %s. ", num(med(none, "ms")), num(cost), goSide)
			} else {
				s += fmt.Sprintf("`--cgroup none` is no faster (%s ms), so it is not the cgroups but the Go side: %s. ", num(med(none, "ms")), goSide)
			}
		}
		s += "**What would close it:** a reaper thread that blocks in `waitid` itself, instead of waiting to be told of SIGCHLD, would save one of the two hand-offs; little else is worth doing."
		out = append(out, s)
	}
	if ref, best, ok := behind(strays, "ms"); ok {
		s := fmt.Sprintf("**Why hermes-init is slower with strays:** %s ms against %s ms for %s. ", num(med(ref, "ms")), num(med(best, "ms")), best.name)
		s += fmt.Sprintf("It gives what its command left behind SIGTERM and `--leftover-grace` (never beyond the stop's `--grace`), then SIGKILLs it itself (%s strays left when not PID 1); the fast peers never signal the strays: they exit as soon as their child is reaped and the strays die only because PID 1's exit makes the kernel SIGKILL the namespace (%s left when not PID 1, so outside a PID namespace they survive). "+
			"s6-overlay's stage 3 spends the whole grace too. Nothing to close: the time is the grace the operator chooses; a stray that ignores SIGTERM costs exactly that grace.",
			left[ref.name], left[best.name])
		if svc := findRow(strays, "hermes-init (services mode)"); svc != nil && strings.HasPrefix(svc.noteCell("strays got SIGTERM"), "no") {
			// Since 9728aaa Service.drain gives a stopped service's leftovers
			// SIGTERM and the rest of the grace; a "no" means an older build.
			s += fmt.Sprintf(" In services mode the strays got no SIGTERM and hermes-init was done in %s ms: the build measured predates `Service.drain` (commit 9728aaa), which gives a stopped service's leftovers SIGTERM and the rest of the grace, as `-- CMD` mode does.", num(med(svc, "ms")))
		}
		out = append(out, s)
	}
	return out
}

func memWhy(one, ten []*row) []string {
	var out []string
	if ref, best, ok := behind(one, "VmRSS"); ok {
		floor := findRow(one, "a Go program")
		s := fmt.Sprintf("**Why hermes-init uses more memory:** as PID 1 with one child its VmRSS is %s kB (RssAnon %s, RssFile %s) against %s kB for %s (RssAnon %s). ",
			num(med(ref, "VmRSS")), num(med(ref, "RssAnon")), num(med(ref, "RssFile")), num(med(best, "VmRSS")), best.name, num(med(best, "RssAnon")))
		if floor != nil {
			s += fmt.Sprintf("A Go program that only sleeps has RssAnon %s kB: the runtime's heap arenas, goroutine stacks and GC metadata; hermes-init adds %s kB to that. ",
				num(med(floor, "RssAnon")), num(med(ref, "RssAnon")-med(floor, "RssAnon")))
		}
		s += "Most of the rest is RssFile: the pages of its own 4 MB static binary that start-up touched (no other process shares them, so its Pss equals its RSS). " +
			"**What would close it:** touching less code at start (fewer packages initialised before `main`; `net`, `encoding/json`, `regexp` and the TOML parser are linked in) shrinks RssFile; GOGC or GOMEMLIMIT do not lower the runtime's floor. " +
			"The Go floor of roughly a megabyte of anonymous memory stays."
		out = append(out, s)
	}
	if ref, best, ok := behind(ten, "Pss"); ok {
		s := fmt.Sprintf("**10 services:** hermes-init is one process for all services, so its RSS sum (%s kB) compares with %s's %s kB over %.0f processes, each of which counts libc again; on Pss, which counts a shared page once, %s needs %s kB against hermes-init's %s kB: the Go floor again.",
			num(med(ref, "VmRSS")), best.name, num(med(best, "VmRSS")), med(best, "procs"), best.name, num(med(best, "Pss")), num(med(ref, "Pss")))
		if one := findRow(one, "hermes-init, services mode"); one != nil {
			s += fmt.Sprintf(" Each service beyond the first costs hermes-init about %s kB of Pss (against the one-service row).", num((med(ref, "Pss")-med(one, "Pss"))/9))
		}
		out = append(out, s)
	}
	return out
}

func restartWhy(rows []*row) []string {
	ref, best, ok := behind(rows, "ms")
	if !ok {
		return nil
	}
	return []string{fmt.Sprintf("**Why hermes-init restarts slower than %s:** %s ms against %s ms. After a stable run hermes-init waits `backoff_min` before the restart (10 ms here; 1 s by default, the second hermes-init row), where %s restarts at once; the rest is the same for both, the spawn and the service's own start. "+
		"**What would close it:** no delay after a stable run (`backoff_min` must be above 0 today), the backoff starting only with the first fast death.",
		best.name, num(med(ref, "ms")), num(med(best, "ms")), best.name)}
}

func reapWhy(rows []*row, n string) []string {
	ref, best, ok := behind(rows, "reaped")
	if !ok || med(best, "reaped") > 0.9*med(ref, "reaped") {
		return nil
	}
	r, p := ref.dist("reaped"), best.dist("reaped")
	s := fmt.Sprintf("**Why hermes-init reaps slower than %s:** %s ms against %s ms for %s orphans", best.name, num(r.med), num(p.med), n)
	if p.hi >= r.lo {
		s += fmt.Sprintf(", but the spreads overlap (%s against %s): the difference is within this machine's noise", r.spreadCell(), p.spreadCell())
	}
	s += ". hermes-init's reaping loop is the C inits' (`wait4(-1, WNOHANG)` until nothing is left, one map lookup per status); what differs is the wake-up: a SIGCHLD reaches it through the Go runtime's handler, the `os/signal` goroutine and a channel to the signal loop, " +
		"hand-offs between threads that wait for a CPU on a 2-core machine crowded by the exiting processes, where a C init wakes in `sigtimedwait` or on a `signalfd`. " +
		"**What would close it:** a reaper thread (locked to an OS thread) that blocks in `waitid(P_ALL, WEXITED)` itself instead of waiting for SIGCHLD, still the one call site of the wait."
	return []string{s}
}

func sizeWhy(rows []*row) []string {
	ref := reference(rows)
	if ref == nil || len(ref.samples) == 0 {
		return nil
	}
	return []string{fmt.Sprintf("**Why hermes-init is larger:** %s bytes is a static Go binary: the runtime, the garbage collector, and the standard packages it uses (`net` for the control socket, `encoding/json`, `regexp`, a TOML parser among them) against a few kilobytes of C on top of libc. "+
		"It is already stripped (`-s -w`). **What would close it:** little short of another language; dropping dependencies saves hundreds of kilobytes, not megabytes. In an image that ships s6-overlay (about 5.7 MB of binaries by its README) it replaces more than it adds.",
		commas(fmt.Sprintf("%.0f", med(ref, "all"))))}
}
