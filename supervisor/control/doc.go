// Package control is hermes-init's control socket: the wire types shared by
// the server inside the init and the `hermes-init ctl` client, the server that
// checks who is asking and hands each request to a Handler (the supervisor),
// the client, and the ctl command line (RunCLI).
//
// The package owns the transport and its limits, never the services: what
// start, stop and restart do to a slot is the Handler's business.
//
// # Wire format
//
// A connection carries exactly one exchange. The client writes one JSON
// object (a Request) on one line, terminated by "\n"; the server answers with
// one JSON object (a Response) and "\n", then closes the connection.
//
//	→ {"op":"wait","profile":"work","state":"up","timeout_ms":30000}
//	← {"ok":true,"status":{"cgroup_mode":"","slots":[{"name":"gateway-work",...}]}}
//
// The request's fields:
//
//   - op is one of status, start, stop, restart, wait, health, and, for the
//     s6 command surface (package s6compat), up, once, down, signal, scan.
//   - profile (every op but status, health and scan; required) names a slot:
//     a profile ("default", "work"), a slot name ("gateway-work") or a
//     static service ("dashboard"); see SlotName.
//   - state (wait; required) is "up" or "down".
//   - signal (signal; required) is a signal name ("TERM", "SIGTERM",
//     "RTMIN+3") or number; see ParseSignal.
//   - prune (scan; optional) also drops the scanned services whose directory
//     is gone (s6-svscanctl -an).
//   - timeout_ms (every op but status and health; optional) bounds the
//     operation; 0 or absent means the server's default
//     (ServerOptions.DefaultTimeout), at most MaxTimeout.
//
// Unknown fields, trailing data after the object and fields an op does not
// use are refused with code bad_request and a message that names the field,
// so that a typo never silently means something else. A request line is at
// most MaxRequestSize bytes (the "\n" not counted); a longer one is answered
// "request too large" and the connection closed without reading the rest. A
// client that half-closes its side after the object, without the "\n", is
// served as if the "\n" had come. The request's first byte must arrive
// within ServerOptions.FirstByte (1 s) of the connect, and the whole within
// ServerOptions.ReadTimeout (5 s).
//
// A Response has ok true when the operation was carried out. Otherwise code is
// one of the Code constants and error a human message. status answers with
// the full Status, and so does scan (after the scan); the other ops that name
// a slot answer with a Status that holds only the slot concerned (its
// cgroup_mode is empty), also on failure when the slot is known; health
// answers with healthy and a detail line.
//
// up, once, down and signal are s6-svc's -u, -o, -d and signal options: they
// change what the supervisor does and never the gateway's files
// (desired_state, the planned-stop marker), which start, stop and restart
// write. They answer once the command is applied, without waiting for the
// process to start or stop.
//
// A client that hangs up while an operation other than status and health is pending
// cancels the context the Handler was given. Shutting down only the write side
// does not count as hanging up.
//
// # Who may connect
//
// The socket file is created 0660 and given the gateway's group, which keeps
// other users out at connect(2). Behind that, every connection's peer is
// checked with SO_PEERCRED: root and ServerOptions.AllowUIDs are served, any
// other uid gets one Response with code refused and is closed. Neither a
// refused peer nor a malformed, oversized or silent request can disturb the
// init: each connection has its own goroutine with read and write deadlines,
// at most ServerOptions.MaxConns are served at once for each uid (the next
// of that uid get code busy; root's budget is its own, so the gateway's uid
// cannot keep root's health checks out), and a panic in a Handler is
// recovered and answered with code internal.
//
// The exit statuses of `hermes-init ctl` are documented on ExitStatus and in
// README.md ("hermes-init ctl").
package control
