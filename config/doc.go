// Package config reads hermes-init's configuration: the TOML file
// (/etc/hermes-init/hermes-init.toml, or the one --config or
// HERMES_INIT_CONFIG names) and the HERMES_INIT_* variables, into a typed and
// validated Config with users and groups resolved. It owns the schema, the
// rules that map keys to variables, and the messages for bad input;
// docs/configuration.md at the repository's root documents every key once.
//
// Precedence: a flag (the caller's) over a variable over the file over the
// built-in default. No file at all is valid when none was named.
//
// Every problem is reported, not only the first, as an *Error that names
// where the bad value came from:
//
//	/etc/hermes-init/hermes-init.toml:12: restart.backoff_max: invalid duration "5x" (want e.g. 30s)
//	/etc/hermes-init/hermes-init.toml:7: gateway.colour: unknown key
//	HERMES_INIT_RESTART_CRASH_LOOP_MAX: invalid integer "x"
//
// The caller exits 2 on any of them, before anything starts. Nothing here
// panics on any input: the TOML parser is fuzzed through FuzzLoad.
//
// Lines come from the toml package's own positions (see file.go), so they
// are right also for inline tables, dotted keys and multi-line values; where
// a line cannot be known for certain the message has none.
package config
