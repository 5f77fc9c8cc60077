package docs

import (
	"bytes"
	"fmt"
	"go/scanner"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/matryer/is"
)

// TestLinks walks the repository and fails for every Markdown link whose
// target file or heading does not exist, and for every name of a Markdown
// file, in a document, a Go comment or any other text file, that is not in
// the repository. A document that relies on a file kept elsewhere (a team's
// notes, an upstream project's) must say what it needs in its own words and
// name the public source instead.
func TestLinks(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("repository root not found above %s: %v", root, err)
	}
	repo, err := readRepo(root)
	if err != nil {
		t.Fatal(err)
	}
	problems := repo.check()
	for _, p := range problems {
		t.Error(p)
	}
	if len(problems) > 0 {
		t.Logf("%d problems in %d files", len(problems), len(repo.files))
	}
}

// TestChecker runs the checks on a small made-up repository, so that a
// checker that silently finds nothing cannot pass.
func TestChecker(t *testing.T) {
	is := is.New(t)
	r := &repo{
		files: map[string]string{
			"README.md": "# Title\n\n## Usage: `ctl` and more\n\nSee [plan](docs/plan.md#the-rules), [gone](docs/gone.md),\n" +
				"[bad anchor](docs/plan.md#nope), [usage](#usage-ctl-and-more), [web](https://example.com/x.md)\n" +
				"and notes.md, SOUL.md, docs/plan.md, ../shared/notes.md.\n\n```\n[not a link](nothere)\n```\n",
			"docs/plan.md":    "# Plan\n\n## The rules\n\nBack to [the top](../README.md#title) and [a dir](../supervisor).\n",
			"supervisor/x.go": "package supervisor\n\n// See plan.md and architecture.md.\nvar s = \"ghost.md\"\n",
			"supervisor/y.sh": "# read docs/plan.md and docs/old.md\n",
		},
		dirs: map[string]bool{"docs": true, "supervisor": true},
	}
	got := r.check()
	want := []string{
		"README.md:5: link docs/gone.md: no such file or directory",
		"README.md:6: link docs/plan.md#nope: docs/plan.md has no heading #nope",
		"README.md:5: names docs/gone.md, which is not in the repository",
		"README.md:7: names notes.md, which is not in the repository",
		"README.md:7: names ../shared/notes.md, which is not in the repository",
		"supervisor/x.go:3: names architecture.md, which is not in the repository",
		"supervisor/y.sh:1: names docs/old.md, which is not in the repository",
	}
	is.Equal(got, want) // exactly the broken links and names
}

// notInRepo are names of Markdown files that are not documents: files of a
// Hermes profile's home, which the boot plan looks for at run time.
var notInRepo = []string{"SOUL.md"}

// repo is the text of every file the check reads, by slash path from the
// repository root, and every directory.
type repo struct {
	files map[string]string
	dirs  map[string]bool
}

// readRepo reads every text file below root, leaving out .git, testdata
// directories (fixtures may name what does not exist on purpose) and binary
// files (build output).
func readRepo(root string) (*repo, error) {
	r := &repo{files: map[string]string{}, dirs: map[string]bool{}}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if d.Name() == ".git" || d.Name() == "testdata" {
				return filepath.SkipDir
			}
			r.dirs[rel] = true
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if len(data) > 1<<20 || bytes.IndexByte(data, 0) >= 0 || !utf8.Valid(data) {
			return nil // not a document
		}
		r.files[rel] = string(data)
		return nil
	})
	return r, err
}

// check returns one line per problem, in file order.
func (r *repo) check() []string {
	var out []string
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range r.files {
			if !yield(n) {
				return
			}
		}
	})
	for _, name := range names {
		text := r.files[name]
		switch {
		case strings.HasSuffix(name, ".md"):
			out = append(out, r.checkLinks(name, text)...)
			out = append(out, r.checkNames(name, text)...)
		case strings.HasSuffix(name, ".go"):
			out = append(out, r.checkNames(name, goComments(text))...)
		default:
			out = append(out, r.checkNames(name, text)...)
		}
	}
	return out
}

var (
	// An inline link or image, [text](target "title"), and a reference
	// definition, [label]: target.
	inlineLink = regexp.MustCompile(`\[[^\]\n]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)`)
	refLink    = regexp.MustCompile(`(?m)^ {0,3}\[[^\]\n]+\]:\s*<?(\S+?)>?(?:\s|$)`)
	scheme     = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*:`)
	// The name of a Markdown file, with or without a path.
	mdName = regexp.MustCompile(`[\w.\-/]*\w\.md\b`)
	url    = regexp.MustCompile(`[a-zA-Z][a-zA-Z0-9+.-]*://[^\s)>\]"'` + "`" + `]+`)
)

// checkLinks checks the relative links of a Markdown document: the file or
// directory must exist, and a #heading in a Markdown file must be one of
// its headings.
func (r *repo) checkLinks(name, text string) []string {
	var out []string
	body := blankCode(text)
	dir := path.Dir(name)
	for _, re := range []*regexp.Regexp{inlineLink, refLink} {
		for _, m := range re.FindAllStringSubmatchIndex(body, -1) {
			target := body[m[2]:m[3]]
			if scheme.MatchString(target) {
				continue // a web address, mailto: and the like
			}
			line := lineOf(body, m[2])
			file, anchor, _ := strings.Cut(target, "#")
			resolved := name
			if file != "" {
				if strings.HasPrefix(file, "/") {
					resolved = path.Clean(strings.TrimPrefix(file, "/"))
				} else {
					resolved = path.Join(dir, file)
				}
				if !r.exists(resolved) {
					out = append(out, fmt.Sprintf("%s:%d: link %s: no such file or directory", name, line, target))
					continue
				}
			}
			if anchor == "" || !strings.HasSuffix(resolved, ".md") {
				continue
			}
			if !slices.Contains(headingSlugs(r.files[resolved]), anchor) {
				out = append(out, fmt.Sprintf("%s:%d: link %s: %s has no heading #%s", name, line, target, resolved, anchor))
			}
		}
	}
	slices.SortStableFunc(out, func(a, b string) int { return lineNumber(a) - lineNumber(b) })
	return out
}

// checkNames finds every name of a Markdown file in text (web addresses
// left out) and checks that the repository has it: relative to the file's
// directory, to the repository root, or, for a bare name, anywhere.
func (r *repo) checkNames(name, text string) []string {
	var out []string
	text = url.ReplaceAllStringFunc(text, func(s string) string { return strings.Repeat(" ", len(s)) })
	for _, m := range mdName.FindAllStringIndex(text, -1) {
		ref := strings.TrimPrefix(text[m[0]:m[1]], "./")
		if slices.Contains(notInRepo, path.Base(ref)) {
			continue
		}
		if r.exists(path.Join(path.Dir(name), ref)) || r.exists(path.Clean(ref)) || (!strings.Contains(ref, "/") && r.hasBase(ref)) {
			continue
		}
		out = append(out, fmt.Sprintf("%s:%d: names %s, which is not in the repository", name, lineOf(text, m[0]), ref))
	}
	return out
}

func (r *repo) exists(p string) bool {
	_, file := r.files[p]
	return file || r.dirs[p]
}

func (r *repo) hasBase(base string) bool {
	for n := range r.files {
		if path.Base(n) == base {
			return true
		}
	}
	return false
}

// goComments returns the comments of a Go file at their own offsets, the
// code blanked out, so that line numbers stay right.
func goComments(src string) string {
	out := bytes.Repeat([]byte(" "), len(src))
	for i := range len(src) {
		if src[i] == '\n' {
			out[i] = '\n'
		}
	}
	fset := token.NewFileSet()
	file := fset.AddFile("", fset.Base(), len(src))
	var s scanner.Scanner
	s.Init(file, []byte(src), nil, scanner.ScanComments)
	for {
		pos, tok, lit := s.Scan()
		if tok == token.EOF {
			break
		}
		if tok == token.COMMENT {
			off := file.Offset(pos)
			copy(out[off:], lit)
		}
	}
	return string(out)
}

// blankCode blanks fenced code blocks and code spans of a Markdown
// document (keeping line breaks), where brackets and parentheses are not
// links.
func blankCode(text string) string {
	lines := strings.SplitAfter(text, "\n")
	fence := ""
	for i, l := range lines {
		trimmed := strings.TrimLeft(l, " ")
		if fence == "" && (strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~")) {
			fence = trimmed[:3]
			lines[i] = blank(l)
			continue
		}
		if fence != "" {
			if strings.HasPrefix(trimmed, fence) {
				fence = ""
			}
			lines[i] = blank(l)
			continue
		}
		lines[i] = codeSpan.ReplaceAllStringFunc(l, blank)
	}
	return strings.Join(lines, "")
}

var codeSpan = regexp.MustCompile("`[^`\n]*`")

func blank(s string) string {
	return strings.Map(func(c rune) rune {
		if c == '\n' {
			return c
		}
		return ' '
	}, s)
}

// headingSlugs are the anchors GitHub gives a document's headings: the
// heading's text in lower case, every character that is not a letter, a
// digit, a space, '-' or '_' dropped, spaces made '-'; a repeated anchor
// gets -1, -2, ...
func headingSlugs(text string) []string {
	var slugs []string
	seen := map[string]int{}
	for _, l := range strings.Split(blankFences(text), "\n") {
		t := strings.TrimLeft(l, " ")
		if !strings.HasPrefix(t, "#") {
			continue
		}
		h := strings.TrimLeft(t, "#")
		if len(t)-len(h) > 6 || (h != "" && h[0] != ' ') {
			continue
		}
		h = inlineLink.ReplaceAllStringFunc(strings.TrimSpace(h), func(s string) string {
			return s[1:strings.Index(s, "](")]
		})
		var b strings.Builder
		for _, c := range strings.ToLower(h) {
			switch {
			case unicode.IsLetter(c), unicode.IsDigit(c), c == '-', c == '_':
				b.WriteRune(c)
			case c == ' ':
				b.WriteRune('-')
			}
		}
		slug := b.String()
		if n := seen[slug]; n > 0 {
			seen[slug]++
			slug = fmt.Sprintf("%s-%d", slug, n)
		} else {
			seen[slug] = 1
		}
		slugs = append(slugs, slug)
	}
	return slugs
}

// blankFences blanks fenced code blocks only (a '#' line in a shell
// example is not a heading).
func blankFences(text string) string {
	lines := strings.SplitAfter(text, "\n")
	fence := ""
	for i, l := range lines {
		trimmed := strings.TrimLeft(l, " ")
		switch {
		case fence == "" && (strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~")):
			fence = trimmed[:3]
		case fence != "" && strings.HasPrefix(trimmed, fence):
			fence = ""
		case fence == "":
			continue
		}
		lines[i] = blank(l)
	}
	return strings.Join(lines, "")
}

func lineOf(text string, off int) int { return strings.Count(text[:off], "\n") + 1 }

// lineNumber reads N back from "file:N: ...".
func lineNumber(problem string) int {
	_, rest, _ := strings.Cut(problem, ":")
	n := 0
	for _, c := range rest {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int(c-'0')
	}
	return n
}
