package control

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"
)

// maxResponseSize bounds what Call reads: a status of a few hundred slots is
// far below it.
const maxResponseSize = 4 << 20

// Call sends one request to the control socket at path and returns the
// server's reply. The error is non-nil only when no reply arrived: the socket
// is missing, refuses connections or may not be opened, or the server closed
// without answering or did not answer before ctx ended. A reply with OK false
// is a reply, not an error.
func Call(ctx context.Context, path string, req Request) (Response, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return Response{}, fmt.Errorf("unable to connect to %s: %w", path, unwrapOpError(err))
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	line, err := json.Marshal(req)
	if err != nil {
		return Response{}, fmt.Errorf("unable to encode the request: %w", err)
	}
	_, werr := c.Write(append(line, '\n'))
	// A server that refuses the peer, is busy or finds the request too large
	// answers without reading all of it and closes, which fails the write
	// (EPIPE) while the reply already waits in our receive queue: read it.
	resp, rerr := readResponse(c)
	switch {
	case rerr == nil:
		return resp, nil
	case ctx.Err() != nil:
		return Response{}, fmt.Errorf("no reply from %s: %w", path, context.Cause(ctx))
	case werr != nil:
		return Response{}, fmt.Errorf("unable to send the request to %s: %w", path, unwrapOpError(werr))
	}
	return Response{}, fmt.Errorf("no reply from %s: %w", path, rerr)
}

func readResponse(c net.Conn) (Response, error) {
	br := bufio.NewReader(io.LimitReader(c, maxResponseSize))
	line, err := br.ReadBytes('\n')
	if len(line) == 0 {
		if err == nil || errors.Is(err, io.EOF) {
			err = errors.New("the server closed the connection without answering")
		}
		return Response{}, unwrapOpError(err)
	}
	var r Response
	if jerr := json.Unmarshal(line, &r); jerr != nil {
		if err != nil {
			return Response{}, fmt.Errorf("truncated reply: %w", unwrapOpError(err))
		}
		return Response{}, fmt.Errorf("unreadable reply: %w", jerr)
	}
	return r, nil
}

// unwrapOpError drops net.OpError's "dial unix /path: connect:" preamble,
// which the caller's message already says better; the errno stays for
// errors.Is.
func unwrapOpError(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		err = op.Err
	}
	var se *os.SyscallError
	if errors.As(err, &se) {
		err = se.Err
	}
	return err
}
