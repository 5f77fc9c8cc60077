// Package hermes wires hermes-init together for the Hermes gateway image,
// and for any image that only wants an init: it turns the configuration
// (package config), the Hermes home (package boot) and the s6 scan
// directory (package s6compat) into what the supervisor runs (package
// supervisor), and runs it.
//
// The process's environment is read once, by package main, and passed down
// in every call here: nothing in this package reads it behind the caller's
// back.
//
// Init is hermes-init as `hermes-init [flags] [-- COMMAND]`: a plain init
// for COMMAND, or, with a configuration file or HERMES_HOME, also the
// supervisor of one gateway per profile and of the configured services.
// AsInit is hermes-init installed as s6-overlay v3's /init (package stage
// runs the stages). Plan is `hermes-init plan`.
package hermes
