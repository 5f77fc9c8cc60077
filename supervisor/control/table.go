package control

import (
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"
)

// WriteTable prints st as ctl status does: the cgroup mode, an aligned table
// of the slots, then one line per slot that carries a reason.
func WriteTable(w io.Writer, st Status) error {
	mode := st.CgroupMode
	if mode == "" {
		mode = "unknown"
	}
	if _, err := fmt.Fprintf(w, "cgroup mode: %s\n", mode); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSTATE\tPID\tUPTIME\tRESTARTS\tLAST-EXIT\tMEMORY")
	for _, s := range st.Slots {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", s.Name, s.State, formatPid(s.Pid),
			formatUptime(s.UptimeSeconds), s.Restarts, formatExit(s.LastExit), formatMemory(s.MemoryBytes))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, s := range st.Slots {
		if s.Reason != "" {
			if _, err := fmt.Fprintf(w, "%s: %s\n", s.Name, s.Reason); err != nil {
				return err
			}
		}
	}
	return nil
}

// slotLine is the one line start, stop, restart and wait print.
func slotLine(s SlotStatus) string {
	line := s.Name + ": " + s.State
	if s.Pid != 0 {
		line += fmt.Sprintf(" (pid %d)", s.Pid)
	}
	if s.Reason != "" {
		line += ": " + s.Reason
	}
	return line
}

func formatPid(pid int) string {
	if pid == 0 {
		return "-"
	}
	return strconv.Itoa(pid)
}

// formatUptime prints whole seconds in the two largest units: 45s, 3m12s,
// 2h05m, 3d04h.
func formatUptime(sec float64) string {
	if sec <= 0 {
		return "-"
	}
	s := int64(sec)
	switch d := time.Duration(s) * time.Second; {
	case d < time.Minute:
		return fmt.Sprintf("%ds", s)
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh%02dm", s/3600, s%3600/60)
	}
	return fmt.Sprintf("%dd%02dh", s/86400, s%86400/3600)
}

// formatExit prints how a process ended: exit 1, signal KILL, signal KILL (OOM).
func formatExit(e *Exit) string {
	if e == nil {
		return "-"
	}
	var s string
	switch {
	case e.Signal != "":
		s = "signal " + e.Signal
	case e.Code != nil:
		s = fmt.Sprintf("exit %d", *e.Code)
	default:
		s = "unknown"
	}
	if e.OOM {
		s += " (OOM)"
	}
	return s
}

// formatMemory prints a byte count in binary units with one decimal: 48.2 MiB.
func formatMemory(n *uint64) string {
	if n == nil {
		return "-"
	}
	const unit = 1024
	if *n < unit {
		return fmt.Sprintf("%d B", *n)
	}
	div, exp := uint64(unit), 0
	for *n/div >= unit && exp < 5 {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(*n)/float64(div), "KMGTPE"[exp])
}
