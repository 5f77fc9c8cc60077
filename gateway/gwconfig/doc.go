// Package gwconfig reads, from the Hermes gateway's own configuration in a
// Hermes home, the settings the boot needs: today only multiplex_profiles,
// whether one root gateway serves every profile.
//
// The rules are upstream's gateway configuration loader's, for this key:
//
//  1. GATEWAY_MULTIPLEX_PROFILES, when it is one of 1, true, yes, on or 0,
//     false, no, off (trimmed, any case), decides. Empty or anything else
//     falls through to the files (the unrecognised value with a warning):
//     an orchestrator's empty secret must not switch a configured
//     multiplex off.
//  2. gateway.json in the home is the base layer: its top-level
//     multiplex_profiles, else (when that is absent or null) the one in its
//     "gateway" object. A file that cannot be read or parsed is ignored with
//     a warning; one holding JSON that is false-like (null, false, 0, "",
//     [], {}) counts as empty.
//  3. config.yaml in the home overrides it: a top-level multiplex_profiles
//     (present, even null), else the one in its "gateway" mapping, but only
//     when gateway.json has no top-level multiplex_profiles. A file that
//     cannot be read or parsed, or whose document is not a mapping, is
//     ignored with a warning, and gateway.json decides alone.
//  4. The value is read as a boolean the way upstream coerces it: a string
//     is true when it is 1, true, yes or on (trimmed, any case), false
//     otherwise; a boolean is itself; a number is true unless zero (NaN is
//     true); a list or mapping is true unless empty; a date is true; null or
//     absent is false.
//  5. A gateway.json whose JSON is a true-like value that is not an object
//     (a non-empty list, a string, a number, true) leaves nothing to merge
//     config.yaml's settings into: upstream's merge fails and the value is
//     then read as empty, so neither file decides and multiplex is off
//     (unless rule 1 decided).
//
// config.yaml is parsed with a YAML parser (go.yaml.in/yaml/v3) into nodes,
// and its scalars are resolved with YAML 1.1's rules, as upstream's PyYAML
// resolves them: "yes", "on" and "off" are booleans, "0o7" is a string, "1:30"
// is a number, "2001-01-01" is a date. A document upstream's safe loader
// refuses (several documents, an unknown tag, a list or mapping as a key, a
// malformed merge key, an int or date that does not construct) is refused
// here too, wherever it is in the file. Both files are read up to 1 MiB;
// YAML aliases are never expanded (a billion laughs costs nothing), and
// nesting deeper than 400 levels in YAML or 900 in JSON is refused as
// unparseable (upstream's Python gives up somewhat deeper, at its recursion
// limit).
package gwconfig
