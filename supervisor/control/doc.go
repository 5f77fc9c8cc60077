// Package control is hermes-init's control socket: the wire types shared by
// the server inside the init and the `hermes-init ctl` client, the server that
// checks who is asking and hands each request to a Handler (the supervisor),
// the client, and the ctl command line (RunCLI).
//
// The package owns the transport and its limits, never the services: what
// start, stop and restart do to a slot is the Handler's business.
//
// The protocol, one JSON line each way per connection, with every field,
// code and limit, is documented once, for its users, in docs/control.md at
// the repository's root, together with ctl's commands and exit statuses.
// Here it is spelled in Go: a Request (the Op constants; Validate refuses
// what the server refuses), a Response (the Code constants) carrying a
// Status of SlotStatus values; MaxRequestSize, MaxTimeout and
// ServerOptions (FirstByte, ReadTimeout, MaxConns, AllowUIDs) are the
// limits; ExitStatus maps a ctl outcome to its exit status.
//
// Behind the socket file's mode (0660, the gateway's group) every
// connection's peer is checked with SO_PEERCRED. Each connection has its own
// goroutine with read and write deadlines and its uid's share of MaxConns,
// and a panic in a Handler is recovered and answered with code internal, so
// that no client can disturb the init.
package control
