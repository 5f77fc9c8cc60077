package gateway

import (
	"strings"
	"testing"

	"github.com/matryer/is"
)

func TestValidProfileName(t *testing.T) {
	cases := []struct {
		name string
		ok   bool
	}{
		{"work", true},
		{"a", true},
		{"0", true},
		{"my-bot_2", true},
		{strings.Repeat("a", 251), true},
		{strings.Repeat("a", 252), false}, // s6 name_max
		{"", false},
		{"-lead", false},
		{"_lead", false},
		{"Work", false},
		{"wörk", false},
		{"a.b", false},
		{"a b", false},
		{"a/b", false},
		{".hidden", false},
		{"..", false},
		{"abc\n", false}, // Python's "$" would accept it; we do not
		{"ab\x00c", false},
		{"default", true}, // valid; reserved is a separate rule (boot)
	}
	for _, c := range cases {
		if got := ValidProfileName(c.name); got != c.ok {
			t.Errorf("ValidProfileName(%q) = %v, want %v", c.name, got, c.ok)
		}
	}
}

func TestStaleRuntimeFiles(t *testing.T) {
	is := is.New(t)
	is.Equal(StaleRuntimeFiles(), []string{"gateway.pid", "processes.json"}) // nothing else is swept
	StaleRuntimeFiles()[0] = "x"
	is.Equal(StaleRuntimeFiles()[0], "gateway.pid") // callers cannot change the list
}

func TestSlotName(t *testing.T) {
	is.New(t).Equal(SlotName("default"), "gateway-default")
}

// TestSlotNameFits: gateway-<p> and the staging .gateway-<p>.tmp must both
// be file names (NAME_MAX 255), so valid names of 243 to 251 bytes have no
// slot.
func TestSlotNameFits(t *testing.T) {
	is := is.New(t)
	is.True(SlotNameFits(strings.Repeat("a", 242)))  // .gateway-<242>.tmp is 255 bytes
	is.True(!SlotNameFits(strings.Repeat("a", 243))) // 256
	is.True(!SlotNameFits(strings.Repeat("a", 251)))
	is.True(SlotNameFits("work"))
}
