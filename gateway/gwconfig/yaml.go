package gwconfig

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/hermes-init/hermes-init/gateway/homefs"
	"go.yaml.in/yaml/v3"
)

// Bounds of the YAML walk. Aliases are never expanded, so the work is
// linear in the document, which MaxFileBytes bounds; these keep a hostile
// document's nesting and merge chains from costing more.
const (
	maxYAMLDepth = 400
	maxYAMLWork  = 1 << 20 // nodes visited and merge pairs copied
)

// readYAML reads config.yaml's multiplex settings; a file that cannot be
// used gives a warning and counts as absent.
func (m *Multiplex) readYAML(d *homefs.Dir) setting {
	const instead = "ignored, as upstream ignores it: gateway.json and the defaults decide"
	data := m.read(d, ConfigYAML, instead)
	if data == nil {
		return setting{}
	}
	s, err := parseYAML(data)
	if err != nil {
		m.warn(d.Join(ConfigYAML), fmt.Sprintf("%v; %s", err, instead))
		return setting{}
	}
	return s
}

// parseYAML finds multiplex_profiles at the top of a config.yaml document
// and in its gateway mapping, after checking that upstream's safe loader
// would load the document at all.
func parseYAML(data []byte) (setting, error) {
	if !utf8.Valid(data) {
		return setting{}, errors.New("is not valid UTF-8")
	}
	if i := strings.IndexFunc(string(data), func(r rune) bool { return !yamlPrintable(r) }); i >= 0 {
		r, _ := utf8.DecodeRuneInString(string(data[i:]))
		return setting{}, fmt.Errorf("holds the unprintable character %U at byte %d", r, i)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	err := dec.Decode(&doc)
	if errors.Is(err, io.EOF) {
		return setting{ok: true}, nil // no document: None, read as {}
	}
	if err != nil {
		return setting{}, fmt.Errorf("is not valid YAML (%v)", err)
	}
	var more yaml.Node
	if err := dec.Decode(&more); !errors.Is(err, io.EOF) {
		return setting{}, errors.New("holds more than one YAML document")
	}
	c := &checker{flat: map[*yaml.Node][]pair{}, seen: map[*yaml.Node]bool{}}
	root := doc.Content[0]
	top, err := c.check(root, 0)
	if err != nil {
		return setting{}, err
	}
	if !c.isDict(root) {
		if top.coerceTruth() {
			return setting{}, errors.New("is not a YAML mapping")
		}
		return setting{ok: true}, nil // a false-like document reads as {}
	}
	s := setting{ok: true}
	pairs := c.flat[deref(root)]
	if v, ok := c.lookup(pairs, KeyMultiplex); ok {
		s.top, s.hasTop = v, true
	}
	if gw, ok := c.lookupNode(pairs, keyGateway); ok && c.isDict(gw) {
		if v, ok := c.lookup(c.flat[deref(gw)], KeyMultiplex); ok {
			s.nested, s.hasNested = v, true
		}
	}
	return s, nil
}

// yamlPrintable is the set of characters PyYAML's reader accepts.
func yamlPrintable(r rune) bool {
	switch {
	case r == '\t', r == '\n', r == '\r', r >= 0x20 && r <= 0x7e, r == 0x85:
		return true
	case r >= 0xa0 && r <= 0xd7ff, r >= 0xe000 && r <= 0xfffd, r >= 0x10000 && r <= 0x10ffff:
		return true
	}
	return false
}

// pair is one key and value of a mapping after its merge keys are applied.
type pair struct{ key, value *yaml.Node }

// checker walks a document once, as the safe loader constructs it.
type checker struct {
	flat map[*yaml.Node][]pair // mappings, merge keys applied
	seen map[*yaml.Node]bool
	work int
}

func deref(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// tagOf is the tag the loader gives a node: its explicit tag, else str for
// a quoted or block scalar, YAML 1.1's implicit type for a plain one, and
// seq or map for collections.
func tagOf(n *yaml.Node) string {
	if n.Style&yaml.TaggedStyle != 0 {
		t := n.Tag
		if rest, ok := strings.CutPrefix(t, "tag:yaml.org,2002:"); ok {
			t = "!!" + rest
		}
		return t
	}
	switch n.Kind {
	case yaml.SequenceNode:
		return tagSeq
	case yaml.MappingNode:
		return tagMap
	}
	if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return tagStr
	}
	return resolvePlain(n.Value)
}

func (c *checker) isDict(n *yaml.Node) bool {
	n = deref(n)
	return n.Kind == yaml.MappingNode && tagOf(n) == tagMap
}

// check constructs n (once; an alias is the node it names) and returns
// its value, or the loader's failure.
func (c *checker) check(n *yaml.Node, depth int) (value, error) {
	n = deref(n)
	if n.Kind == yaml.AliasNode {
		return value{}, errors.New("has an alias to an unknown anchor")
	}
	if depth > maxYAMLDepth {
		return value{}, fmt.Errorf("is nested deeper than %d levels", maxYAMLDepth)
	}
	if c.work++; c.work > maxYAMLWork {
		return value{}, errors.New("is too complex to read")
	}
	if c.seen[n] {
		return c.summary(n), nil
	}
	c.seen[n] = true
	tag := tagOf(n)
	switch n.Kind {
	case yaml.ScalarNode:
		v, err := constructScalar(tag, n.Value)
		if err != nil {
			return value{}, fmt.Errorf("line %d: %v", n.Line, err)
		}
		return v, nil
	case yaml.SequenceNode:
		return c.sequence(n, tag, depth)
	case yaml.MappingNode:
		return c.mapping(n, tag, depth)
	}
	return value{}, fmt.Errorf("line %d: unexpected node", n.Line)
}

// summary is the value of a node already checked.
func (c *checker) summary(n *yaml.Node) value {
	switch n.Kind {
	case yaml.MappingNode:
		return value{truthy: len(c.flat[n]) > 0}
	case yaml.SequenceNode:
		return value{truthy: len(n.Content) > 0}
	}
	v, _ := constructScalar(tagOf(n), n.Value)
	return v
}

func (c *checker) sequence(n *yaml.Node, tag string, depth int) (value, error) {
	switch tag {
	case tagSeq:
	case tagOmap, tagPairs:
		for _, it := range n.Content {
			if it := deref(it); it.Kind != yaml.MappingNode || len(it.Content) != 2 {
				return value{}, fmt.Errorf("line %d: %s needs a list of one-pair mappings", n.Line, tag)
			}
		}
	default:
		return value{}, fmt.Errorf("line %d: no constructor for the tag %s on a sequence", n.Line, tag)
	}
	for _, it := range n.Content {
		if _, err := c.check(it, depth+1); err != nil {
			return value{}, err
		}
	}
	return value{truthy: len(n.Content) > 0}, nil
}

func (c *checker) mapping(n *yaml.Node, tag string, depth int) (value, error) {
	if tag != tagMap && tag != tagSet {
		return value{}, fmt.Errorf("line %d: no constructor for the tag %s on a mapping", n.Line, tag)
	}
	pairs, err := c.flatten(n, depth)
	if err != nil {
		return value{}, err
	}
	for _, p := range pairs {
		if k := deref(p.key); k.Kind == yaml.SequenceNode || k.Kind == yaml.MappingNode {
			return value{}, fmt.Errorf("line %d: a list or mapping as a key (unhashable)", k.Line)
		}
		if tagOf(deref(p.key)) != tagValue { // a key "=" is the string "="
			if _, err := c.check(p.key, depth+1); err != nil {
				return value{}, err
			}
		}
		if _, err := c.check(p.value, depth+1); err != nil {
			return value{}, err
		}
	}
	return value{truthy: len(pairs) > 0}, nil
}

// flatten applies a mapping's merge keys as the loader does: the merged
// pairs come first (of a list of mappings, the first wins), then the
// mapping's own, so that its own keys win. A key "=" is the string "=".
func (c *checker) flatten(n *yaml.Node, depth int) ([]pair, error) {
	if p, ok := c.flat[n]; ok {
		return p, nil
	}
	if depth > maxYAMLDepth {
		return nil, fmt.Errorf("is nested deeper than %d levels", maxYAMLDepth)
	}
	var merged, own []pair
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if tagOf(deref(k)) != tagMerge {
			own = append(own, pair{k, v})
			continue
		}
		v = deref(v)
		var sources []*yaml.Node
		switch v.Kind {
		case yaml.MappingNode:
			sources = []*yaml.Node{v}
		case yaml.SequenceNode:
			for j := len(v.Content) - 1; j >= 0; j-- {
				sub := deref(v.Content[j])
				if sub.Kind != yaml.MappingNode {
					return nil, fmt.Errorf("line %d: a merge key needs mappings", sub.Line)
				}
				sources = append(sources, sub)
			}
		default:
			return nil, fmt.Errorf("line %d: a merge key needs a mapping or a list of mappings", v.Line)
		}
		for _, src := range sources {
			p, err := c.flatten(src, depth+1)
			if err != nil {
				return nil, err
			}
			if c.work += len(p); c.work > maxYAMLWork {
				return nil, errors.New("is too complex to read")
			}
			merged = append(merged, p...)
		}
	}
	all := append(merged, own...)
	c.flat[n] = all
	return all, nil
}

// lookupNode finds the value of the last pair whose key is the string key.
func (c *checker) lookupNode(pairs []pair, key string) (*yaml.Node, bool) {
	for i := len(pairs) - 1; i >= 0; i-- {
		k := deref(pairs[i].key)
		if k.Kind != yaml.ScalarNode {
			continue
		}
		t := tagOf(k)
		if (t == tagStr || t == tagValue) && k.Value == key {
			return pairs[i].value, true
		}
	}
	return nil, false
}

func (c *checker) lookup(pairs []pair, key string) (value, bool) {
	n, ok := c.lookupNode(pairs, key)
	if !ok {
		return value{}, false
	}
	return c.summary(deref(n)), true
}
