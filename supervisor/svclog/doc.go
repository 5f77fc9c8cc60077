// Package svclog carries each service's stdout and stderr to hermes-init's
// stdout (so `docker logs` shows it) and to a size-rotated log directory,
// replacing the `s6-log 1 n10 s1000000 T <dir>` of the s6 slot's log/run
// (hermes-agent's hermes_cli/service_manager.py renders that script).
//
// It owns three kinds of goroutine, each ended by a Close:
//
//   - one reader per pipe handed out by [Sink.Pipe]. It reads with a 64 KiB
//     buffer (after a short read it lets the pipe fill for 2 ms, so a service
//     writing a line per write(2) costs a read per few hundred lines, not per
//     line), cuts the stream into whole lines of at most MaxLine bytes, and
//     puts them into bounded queues (bounded in lines and in bytes). It never
//     waits on a consumer: lines that do not fit a queue are dropped and
//     counted. So a service that floods output, a full disk or a `docker logs`
//     that stops reading can cost lines but can never stall the service, the
//     supervisor or another service.
//   - one file writer per [Sink], appending to Dir/current and rotating it;
//   - one stdout writer (and a drop reporter) per [Fan], shared by every
//     service. It writes prefix+line+"\n" for whole lines only, one Write per
//     line or batch of lines, so lines of different services never mix.
//
// # The log directory
//
// The layout is s6-log's, so existing volumes and habits keep working:
//
//	current              the live log; every line is "2006-01-02T15:04:05.000000Z line"
//	@<tai64n>.s          an archive: current renamed when the next line would take
//	                     it past MaxBytes; the label is the rotation time as 24 hex
//	                     digits, 2^62+seconds (16) then nanoseconds (8), so name
//	                     order is age order
//	lock                 flock'd while a sink writes here: a second writer of the
//	                     same directory (another sink, a leftover s6-log) is refused
//
// At most Keep archives (@*.s, and s6-log's unfinished @*.u) are kept; the
// oldest by name go first. An existing current is appended to.
//
// # Symlinks
//
// hermes-init is root, while the log directory sits on a volume that the
// gateway user and everything it runs can write. A planted
// logs/gateways/default -> /etc must never make root write elsewhere. Dir is
// therefore reached from Root one component at a time with openat(O_NOFOLLOW)
// and every later operation (open, rename, unlink, list) is relative to that
// directory descriptor, so a symlink anywhere between Root and the files is
// refused (errors.Is(err, nofollow.ErrSymlink)) even if it is swapped in after
// a check. Package gateway/nofollow offers the same guarantee for one-shot
// reads and writes, but through os.Root, which follows a symlink whose target
// stays inside the root, opens and syncs a file per append, and gives created
// files the directory's owner; a log needs a long-lived O_APPEND descriptor,
// explicit ownership (UID/GID) and no symlink at all, hence the small openat
// layer in dir.go. Files are also checked after opening: current must be a
// regular file with one link, so a hard link to a root-owned file is refused.
//
// When the directory cannot be used (refused, permissions, disk full) the sink
// goes on with stdout alone and says so once through Options.Logf; writing is
// retried every 30 s and a success is reported too, with the number of lines
// the file missed.
//
// # Drops
//
// Every sink counts the lines each destination lost. A reporter in the Fan
// says, at most every few seconds per sink and destination,
//
//	[gateway-default] dropped 1234 lines: output faster than stdout could take it
//
// (or "file"), and Sink.Close reports what is left plus a total. Readers never
// call Logf themselves: a blocked stderr must not stall them either.
package svclog
