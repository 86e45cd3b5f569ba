package dockerengine

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// demux copies the engine's multiplexed stream (8-byte frame headers:
// stream, 3 zero bytes, big-endian length) to stdout and stderr, as the
// SDK's stdcopy.StdCopy does, but hands each writer whole runs of frames:
// the engine sends a log as one frame per line, and StdCopy both writes
// each frame on its own and moves its 32 KB buffer for every one, which
// made a busy `logs -f` a third memmove. A run ends when the stream
// changes (so stdout and stderr keep their order), when nothing more is
// buffered (so following never holds a line back), or at 64 KB.
func demux(stdout, stderr io.Writer, r io.Reader) error {
	const maxRun = 64 << 10
	br := bufio.NewReaderSize(r, 64<<10)
	var run bytes.Buffer
	var runTo io.Writer
	flush := func() error {
		if run.Len() == 0 {
			return nil
		}
		_, err := runTo.Write(run.Bytes())
		run.Reset()
		return err
	}
	var hdr [8]byte
	for {
		if br.Buffered() == 0 {
			if err := flush(); err != nil {
				return err
			}
		}
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			if ferr := flush(); ferr != nil {
				return ferr
			}
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		size := int64(binary.BigEndian.Uint32(hdr[4:]))
		var to io.Writer
		switch hdr[0] {
		case 0, 1:
			to = stdout
		case 2:
			to = stderr
		case 3:
			// The engine's own error, as StdCopy reports it.
			msg, _ := io.ReadAll(io.LimitReader(br, size))
			if err := flush(); err != nil {
				return err
			}
			return fmt.Errorf("error from daemon in stream: %s", msg)
		default:
			return fmt.Errorf("unrecognized stream: %d", hdr[0])
		}
		if to != runTo || run.Len()+int(size) > maxRun {
			if err := flush(); err != nil {
				return err
			}
			runTo = to
		}
		if _, err := io.CopyN(&run, br, size); err != nil {
			if ferr := flush(); ferr != nil {
				return ferr
			}
			if errors.Is(err, io.EOF) {
				return io.ErrUnexpectedEOF
			}
			return err
		}
	}
}
