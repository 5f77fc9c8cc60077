package boot

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/hermes-init/hermes-init/gateway"
	"github.com/hermes-init/hermes-init/gateway/nofollow"
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
func bootLogLines(slots []Slot, now time.Time) []string {
	ts := now.Format(bootLogTime)
	lines := make([]string, 0, len(slots))
	for _, s := range slots {
		lines = append(lines, fmt.Sprintf("%s profile=%s prior_state=%s action=%s prior_exit=%s",
			ts, s.Profile, logValue(s.Prior.Label()), s.Action(), s.PriorExit))
	}
	return lines
}

// logValue keeps a state value verbatim unless it would break the one line
// per profile (a space, a control character or bad UTF-8 in a hand-edited
// state file); then it is Go-quoted.
func logValue(v string) string {
	if !utf8.ValidString(v) || strings.IndexFunc(v, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }) >= 0 {
		return strconv.Quote(v)
	}
	return v
}

// appendBootLog appends the plan's lines to logs/container-boot.log, rotating
// first. It is idempotent: when the log already ends with exactly these lines
// (same pass, same timestamp) it does nothing. A failed rotation only warns,
// as in Hermes: losing the entry would be worse than a bigger file.
func appendBootLog(home *os.Root, lines []string) ([]gateway.Warning, error) {
	if len(lines) == 0 {
		return nil, nil
	}
	block := strings.Join(lines, "\n") + "\n"
	logs, err := nofollow.MkdirOpen(home, gateway.LogsDir, 0o755)
	if err != nil {
		return nil, fmt.Errorf("boot log: %w", err)
	}
	defer logs.Close()
	tail, size, err := nofollow.ReadTail(logs, gateway.BootLogFile, int64(len(block)))
	if err != nil {
		return nil, fmt.Errorf("boot log: %w", err)
	}
	if string(tail) == block {
		return nil, nil
	}
	var warns []gateway.Warning
	if size >= BootLogRotateBytes {
		if err := nofollow.Rename(logs, gateway.BootLogFile, gateway.BootLogFile+".1"); err != nil {
			warns = append(warns, gateway.Warning{Path: nofollow.Join(logs, gateway.BootLogFile), Reason: "could not rotate (" + reason(err) + "); appending anyway"})
		}
	}
	if err := nofollow.Append(logs, gateway.BootLogFile, []byte(block), 0o644); err != nil {
		return warns, fmt.Errorf("boot log: %w", err)
	}
	return warns, nil
}
