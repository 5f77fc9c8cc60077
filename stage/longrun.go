package stage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/hermes-init/hermes-init/supervisor/s6compat"
)

// longrunFiles are what s6-rc-compile carries from a longrun's definition
// into its service directory (its documentation, "For longruns"); run and
// finish become executable.
var longrunFiles = []string{"run", "finish", "notification-fd", "lock-fd", "timeout-kill", "timeout-finish", "max-death-tally", "down-signal"}

// longrunDirs are copied verbatim.
var longrunDirs = []string{"data", "env", "instance", "instances"}

// compile lays out a longrun's service directory in ServiceDirs and links it
// into the scan directory, as s6-rc-init does (so that s6-svstat
// /run/service/NAME answers), and returns it. The directory is relocated:
// run scripts refer to data/ and env/ by relative paths.
func (st *Stages) compile(d *Definition) (string, error) {
	dir := filepath.Join(st.Paths.ServiceDirs, d.Name)
	if err := os.RemoveAll(dir); err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	for _, f := range longrunFiles {
		src := filepath.Join(d.Dir, f)
		fi, err := os.Stat(src)
		if errors.Is(err, fs.ErrNotExist) || err == nil && fi.IsDir() {
			continue
		}
		if err != nil {
			return "", err
		}
		mode := os.FileMode(0o644)
		if f == "run" || f == "finish" {
			mode = 0o755 // s6-rc-compile: "may or may not be executable"
		}
		if err := copyFile(src, filepath.Join(dir, f), mode); err != nil {
			return "", err
		}
	}
	for _, sub := range longrunDirs {
		if _, err := os.Stat(filepath.Join(d.Dir, sub)); err == nil {
			if err := copyTree(filepath.Join(d.Dir, sub), filepath.Join(dir, sub)); err != nil {
				return "", err
			}
		}
	}
	return dir, link(dir, filepath.Join(st.Paths.ScanDir, d.Name))
}

// startLongrun supervises a longrun and waits until it is up, or ready when
// it declares a notification-fd, as s6-rc -u does.
func (st *Stages) startLongrun(ctx context.Context, d *Definition) error {
	if _, err := st.compile(d); err != nil {
		return fmt.Errorf("lay out the service directory: %w", err)
	}
	sd, err := s6compat.ReadServiceDir(st.Paths.ServiceDirs, d.Name)
	if err != nil {
		return err
	}
	sp := st.serviceSpec(sd)
	if p := st.pipes[d.Name]; p != nil {
		sp.Stdin = p.r
	}
	if p := st.pipes[d.ProducerFor]; d.ProducerFor != "" && p != nil {
		sp.Stdout = p.w
	}
	if err := st.sup.AddService(sp); err != nil {
		return err
	}
	_, err = st.sup.StartService(ctx, d.Name)
	return err
}

// stopLongrun sends the down signal and waits for the longrun to be down:
// timeout-down, or S6_SERVICES_GRACETIME when it has none (s6-rc would wait
// for ever; the end of the stop kills what is left).
func (st *Stages) stopLongrun(d *Definition) error {
	timeout := d.TimeoutDown
	if timeout == 0 {
		timeout = st.Settings.ServicesGrace
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if _, err := st.sup.StopService(ctx, d.Name); err != nil {
		return fmt.Errorf("still running after %s", timeout)
	}
	return nil
}

// pipe is a pipeline's pipe: its producers' stdout, its consumer's stdin.
// hermes-init holds both ends for the container's life, as s6-rc's fd
// holder does, so that a restart on either side loses no data.
type pipe struct{ r, w *os.File }

func (st *Stages) makePipes() error {
	st.pipes = map[string]*pipe{}
	for _, d := range st.DB.sorted() {
		if d.Kind != KindLongrun || len(d.ConsumerFor) == 0 {
			continue
		}
		r, w, err := os.Pipe()
		if err != nil {
			return fmt.Errorf("pipeline of %s: %w", d.Name, err)
		}
		st.pipes[d.Name] = &pipe{r: r, w: w}
	}
	return nil
}

// copyTree copies a directory tree: directories and regular files with
// their modes, symlinks as symlinks; anything else is left out.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		to := filepath.Join(dst, rel)
		info, err := e.Info()
		if err != nil {
			return err
		}
		switch {
		case e.IsDir():
			if err := os.MkdirAll(to, 0o700); err != nil {
				return err
			}
			return os.Chmod(to, info.Mode().Perm()|info.Mode()&(os.ModeSetgid|os.ModeSticky))
		case info.Mode()&os.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(target, to)
		case info.Mode().IsRegular():
			return copyFile(p, to, info.Mode().Perm())
		}
		return nil
	})
}

func copyFile(src, dst string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copy %s: %w", src, err)
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Chmod(dst, mode) // the umask must not strip x
}
