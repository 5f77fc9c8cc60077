package main

import (
	"context"
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// sizeEntry is one init's set of files: its binaries and the shared
// libraries they need besides the C library.
type sizeEntry struct {
	name  string
	ref   bool
	files []string
}

// libDirs are where Debian keeps shared libraries.
var libDirs = []string{"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/lib", "/usr/lib", "/lib64"}

// measureSize is item 7: bytes on disk, and whether each binary is static.
func measureSize(_ context.Context, b *bench) section {
	entries := []sizeEntry{
		{name: "hermes-init", ref: true, files: []string{b.hermes}},
		{name: "tini", files: []string{"/usr/bin/tini"}},
		{name: "tini-static", files: []string{"/usr/bin/tini-static"}},
		{name: "dumb-init", files: []string{"/usr/bin/dumb-init"}},
		{name: "catatonit", files: []string{"/usr/bin/catatonit"}},
		{name: "s6 (s6-svscan + s6-supervise)", files: []string{s6Svscan, s6Supervis}},
		{name: "runit (runsvdir + runsv)", files: []string{runsvdir, runsv}},
	}
	s := section{title: "Binary sizes",
		text: []string{"Bytes on disk (`ls -l`). \"with libraries\" adds the shared libraries the binaries need other than the C library " +
			"(libc, the dynamic loader), which an image ships anyway unless it is `FROM scratch`; a static binary needs nothing. " +
			"Linking is read from the ELF program headers (an interpreter means dynamic), as `ldd` would report it."}}
	var rows []*row
	for _, e := range entries {
		r := &row{name: e.name, ref: e.ref}
		r.cmd = "ls -l " + strings.Join(e.files, " ") + "   # and their ELF headers: PT_INTERP, DT_NEEDED (what ldd reads)"
		bin, libs, linking, extra, err := sizes(e.files)
		if err != nil {
			r.na = b.scrub(err.Error())
		} else {
			r.samples = []sample{{"bin": bin, "all": bin + libs}}
			r.note("linking", linking)
			r.note("libraries", extra)
		}
		rows = append(rows, r)
		s.commands = append(s.commands, b.scrub(r.cmd))
	}
	ref := reference(rows)
	s.tables = append(s.tables, buildTable("Size on disk", rows, []column{
		{"bytes", func(r *row) string { return commas(fmt.Sprintf("%.0f", r.dist("bin").med)) }},
		{"with libraries", func(r *row) string { return commas(fmt.Sprintf("%.0f", r.dist("all").med)) }},
		{"ratio to hermes-init (with libraries)", func(r *row) string { return ratioCell(r, ref, "all") }},
		{"linking", func(r *row) string { return firstKey(r, "linking") }},
		{"libraries besides libc", func(r *row) string { return firstKey(r, "libraries") }},
	}))
	if ref != nil && len(ref.samples) > 0 {
		b.reading = append(b.reading, fmt.Sprintf("**Size:** hermes-init is %s bytes, static%s (with libraries); below 1 means hermes-init is larger.",
			commas(fmt.Sprintf("%.0f", ref.dist("all").med)), peersRatios(rows, "all")))
	}
	b.reading = append(b.reading, sizeWhy(rows)...)
	return s
}

func firstKey(r *row, key string) string {
	for k := range r.notes[key] {
		return k
	}
	return ""
}

// sizes adds up the files' sizes and those of the non-libc libraries they
// need, and says how they are linked.
func sizes(files []string) (bin, libs float64, linking, extra string, err error) {
	seen := map[string]bool{}
	var kinds, names []string
	for _, f := range files {
		st, err := os.Stat(f)
		if err != nil {
			return 0, 0, "", "", fmt.Errorf("%s not installed", f)
		}
		bin += float64(st.Size())
		e, err := elf.Open(f)
		if err != nil {
			return 0, 0, "", "", fmt.Errorf("read %s: %w", f, err)
		}
		needed, _ := e.ImportedLibraries()
		dynamic := false
		for _, p := range e.Progs {
			if p.Type == elf.PT_INTERP {
				dynamic = true
			}
		}
		e.Close()
		kind := "static"
		if dynamic {
			kind = "dynamic"
		}
		if !slices.Contains(kinds, kind) {
			kinds = append(kinds, kind)
		}
		for _, lib := range needed {
			if seen[lib] || strings.HasPrefix(lib, "libc.so") || strings.HasPrefix(lib, "ld-linux") {
				continue
			}
			seen[lib] = true
			size, path := libSize(lib)
			libs += size
			names = append(names, fmt.Sprintf("%s (%s bytes)", filepath.Base(path), commas(fmt.Sprintf("%.0f", size))))
		}
	}
	if len(names) == 0 {
		names = []string{"none"}
	}
	return bin, libs, strings.Join(kinds, "+"), strings.Join(names, ", "), nil
}

// libSize finds a library by its soname and returns the size of the file
// the soname link points to.
func libSize(soname string) (float64, string) {
	for _, d := range libDirs {
		p := filepath.Join(d, soname)
		if st, err := os.Stat(p); err == nil {
			if real, err := filepath.EvalSymlinks(p); err == nil {
				p = real
			}
			return float64(st.Size()), p
		}
	}
	return 0, soname + " (not found)"
}
