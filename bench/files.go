package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// showFiles runs build in a fresh directory and returns the files it wrote,
// for the report: the configurations and scripts the supervisors run with.
// Paths read $T/… and this binary $X; keep selects files by their path
// relative to the directory (nil keeps all).
func (b *bench) showFiles(build func(dir string) error, keep func(rel string) bool) [][2]string {
	dir, err := b.dir("show")
	if err != nil {
		return nil
	}
	defer os.RemoveAll(dir)
	if err := build(dir); err != nil {
		return [][2]string{{"(not built)", b.scrub(err.Error())}}
	}
	var files [][2]string
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(dir, path)
		if keep != nil && !keep(rel) {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil
		}
		text := b.scrub(strings.ReplaceAll(string(data), dir, "$T"))
		files = append(files, [2]string{"$T/" + rel, text})
		return nil
	})
	return files
}
