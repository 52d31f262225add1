// Package link owns the byte stream of the upward sync link (DESIGN §6): the
// framing of the messages of sync/proto over a net.Conn, the parent's Server
// (a proto.Receiver behind a net.Listener) and the child's Dialer (a
// proto.Dialer over any dial function). It knows nothing of TCP beyond
// TCPDialer: the security layer wraps conns (mutual TLS) in the listener and
// the dial function it passes in.
//
// # Frames
//
// Every message is one frame:
//
//	1 byte   type: 1 hello, 2 welcome, 3 batch, 4 ack
//	uvarint  payload length in bytes
//	payload  hello, welcome, ack: JSON of proto.Hello, proto.Welcome,
//	         proto.Ack; batch: an encoded sync/wire batch, opaque here
//
// A link carries, child → parent, one hello then batch frames; parent →
// child, one welcome then one ack per batch, in batch order. Control frames
// (hello, welcome, ack) are at most MaxControlBytes; batch frames at most the
// receiver's MaxBatchBytes. A reader checks the type before the length and
// the length before it allocates, and never allocates more than the limit.
// A frame over its limit, an unknown or misplaced type, a bad length or a
// payload that is not JSON of its type is a *ProtocolError naming its Rule;
// it ends the link. Frame layout version is proto.Version, carried in the
// hello: a new layout gets a new version. testdata/frames-v1.bin pins it.
//
// # Server
//
// Per link the server reads the hello (within HandshakeTimeout), asks the
// Receiver for the welcome and writes it, then runs two goroutines: a reader
// that submits batches to the Receiver in arrival order, and a writer that
// waits for each batch's ack, in the same order, and writes it. At most
// MaxInFlight batches are submitted and not yet acked: beyond that the reader
// stops reading, and TCP flow control pushes back on the child. A batch that
// breaks a frame rule is answered, in its place, with an Ack whose Error and
// Rule say why; then the link closes.
//
// # Client
//
// Dialer.Dial writes the hello and reads the welcome; the Session it returns
// may be used by one sending goroutine (Send) and one receiving goroutine
// (Recv) at once, and closed from any goroutine.
package link
