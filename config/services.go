package config

import (
	"fmt"
	"strings"
	"sync"

	"github.com/BurntSushi/toml"
)

// maxLocatedServices bounds the reparsing that locates [[service]] lines; the
// entries after it are reported without a line.
const maxLocatedServices = 64

// readServices reads the [[service]] entries.
func (l *loader) readServices(text string, d *doc, p toml.Primitive) {
	at := &spot{d: d, p: p}
	raw := d.raw(p)
	switch raw.(type) {
	case []map[string]any: // [[service]]
	case []any: // service = [{...}, {...}]
		// The parser records the keys of all entries as one, so every key
		// gets the line where the array starts.
		d = &doc{md: d.md, top: d.top, line: d.lineOf(p, 0)}
		if d.line == 0 {
			d.line = -1
		}
	default:
		l.errs.add(l.at(at), serviceTable, wantGot("an array of tables ([[service]])", raw))
		return
	}
	var entries []toml.Primitive
	if err := d.decode(p, &entries); err != nil {
		l.errs.add(l.at(at), serviceTable, err)
		return
	}
	located := sync.OnceValue(func() []located { return serviceDocs(text, d, entries) })
	for i, e := range entries {
		l.readService(&spot{d: d, p: e, entries: located, i: i}, i)
	}
}

// located is a doc in which an entry's keys have their own lines, and the
// entry's primitive in that doc.
type located struct {
	d *doc
	p toml.Primitive
}

// serviceDocs finds, for each [[service]] entry, a parse in which it is the
// last entry: the parser records the position of a key inside an array of
// tables once, for the last entry that has it. Cutting the file at the start
// of the line of the last [[service]] header leaves a valid file whose last
// entry is the one before. Where this does not go as expected, the remaining
// entries are read from the whole file without lines: no line is better than
// a wrong one.
func serviceDocs(text string, whole *doc, entries []toml.Primitive) []located {
	n := len(entries)
	docs := make([]located, n)
	if whole.line == 0 && n <= maxLocatedServices {
		cur, d, es := text, whole, entries
		for i := n - 1; i >= 0; i-- {
			if i < n-1 {
				pd, err := parseTOML(cur)
				if err != nil {
					break
				}
				d, es = pd, nil
				if d.decode(d.top[serviceTable], &es) != nil {
					break
				}
			}
			hdr := d.lineOf(d.top[serviceTable], 0)
			if len(es) != i+1 || hdr < 1 {
				break
			}
			docs[i] = located{d: d, p: es[i]}
			cur = cur[:lineStart(cur, hdr)]
		}
	}
	fallback := whole
	if whole.line == 0 {
		fallback = &doc{md: whole.md, top: whole.top, line: -1}
	}
	for i := range docs {
		if docs[i].d == nil {
			docs[i] = located{d: fallback, p: entries[i]}
		}
	}
	return docs
}

// readService reads entry i of [[service]] into a new service.
func (l *loader) readService(at *spot, i int) {
	prefix := fmt.Sprintf("service[%d]", i)
	s := newService("")
	var fields map[string]toml.Primitive
	if raw := at.d.raw(at.p); !isTable(raw) {
		l.errs.add(l.at(at), prefix, wantGot("a table", raw))
		return
	}
	if err := at.d.decode(at.p, &fields); err != nil {
		l.errs.add(l.at(at), prefix, err)
		return
	}
	for _, name := range sortedNames(fields) {
		k, ok := findKey(serviceKeys, name)
		if !ok {
			l.unknown(at.child(name, fields[name]), prefix+"."+toml.Key{name}.String())
			continue
		}
		l.readValue(at.child(name, fields[name]), k, prefix+"."+k.name, k.svc(&s))
	}
	l.origin[prefix] = l.at(at)
	l.cfg.Services = append(l.cfg.Services, s)
	l.services = append(l.services, prefix)
}

// lineStart is the byte offset where 1-based line n of s starts.
func lineStart(s string, n int) int {
	off := 0
	for ; n > 1; n-- {
		i := strings.IndexByte(s[off:], '\n')
		if i < 0 {
			return len(s)
		}
		off += i + 1
	}
	return off
}
