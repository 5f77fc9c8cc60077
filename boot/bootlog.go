package boot

import (
	"fmt"
	"strings"
	"time"

	"github.com/hermes-init/hermes-init/gateway"
	"github.com/hermes-init/hermes-init/gateway/homefs"
)

// BootLogRotateBytes: before appending, a container-boot.log at least this
// big becomes container-boot.log.1 (about 3000 lines, a year of daily boots
// with five profiles; PR #30136 review).
const BootLogRotateBytes = 256 * 1024

// bootLogTime is Python's %Y-%m-%dT%H:%M:%S%z.
const bootLogTime = "2006-01-02T15:04:05-0700"

// bootLogLines renders one line per slot, root first, with one timestamp for
// the whole pass, in Hermes's exact format:
//
//	<ts> profile=<p> prior_state=<s|None> action=<started|registered> prior_exit=<clean|unclean|unknown>
//
// The prior state is printed as upstream prints it (RunIntent.Label), byte
// for byte: a hand-edited state with spaces or a newline is written as it is,
// so that tools reading the log see what they saw before.
func bootLogLines(slots []Slot, now time.Time) []string {
	ts := now.Format(bootLogTime)
	lines := make([]string, 0, len(slots))
	for _, s := range slots {
		lines = append(lines, fmt.Sprintf("%s profile=%s prior_state=%s action=%s prior_exit=%s",
			ts, s.Profile, s.Prior.Label(), s.Action(), s.PriorExit))
	}
	return lines
}

// appendBootLog appends the plan's lines to logs/container-boot.log, rotating
// first. It is idempotent: when the log already ends with exactly these lines
// (same pass, same timestamp) it does nothing. A failed rotation only warns,
// as in Hermes: losing the entry would be worse than a bigger file.
func appendBootLog(home *homefs.Dir, lines []string) ([]gateway.Warning, error) {
	if len(lines) == 0 {
		return nil, nil
	}
	block := strings.Join(lines, "\n") + "\n"
	logs, err := home.MkdirSub(gateway.LogsDir, 0o755)
	if err != nil {
		path := home.Join(gateway.LogsDir)
		return nil, fmt.Errorf("boot log: %s: %s", path, gateway.Reason(path, err))
	}
	defer logs.Close()
	tail, size, err := logs.ReadTail(gateway.BootLogFile, int64(len(block)))
	if err != nil {
		path := logs.Join(gateway.BootLogFile)
		return nil, fmt.Errorf("boot log: %s: %s", path, gateway.Reason(path, err))
	}
	if string(tail) == block {
		return nil, nil
	}
	var warns []gateway.Warning
	if size >= BootLogRotateBytes {
		if err := logs.Rename(gateway.BootLogFile, gateway.BootLogFile+".1"); err != nil {
			warns = append(warns, gateway.Warning{Path: logs.Join(gateway.BootLogFile), Reason: "could not rotate (" + unwrap(err).Error() + "); appending anyway"})
		}
	}
	if err := logs.Append(gateway.BootLogFile, []byte(block), 0o644); err != nil {
		return warns, fmt.Errorf("boot log: %w", err)
	}
	return warns, nil
}
