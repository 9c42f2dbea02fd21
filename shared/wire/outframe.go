package wire

// OutFrame is a frame to write: Head, Body, then Tail. A router forwards a
// payload it received, behind a header of its own, without copying it;
// a sender writes a large binary argument from its caller's memory (Tail);
// a frame built whole is all Head.
type OutFrame struct {
	Head, Body, Tail []byte
	// Ref, when set, holds Body's memory for the frame: the writer releases
	// it once the frame is written (a hub's pooled read buffers).
	Ref interface{ Release() }
}

// Len is the frame's length in bytes.
func (f OutFrame) Len() int { return len(f.Head) + len(f.Body) + len(f.Tail) }
