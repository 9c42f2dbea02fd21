// src/node/stream.js: a hub's Unix socket or TCP listener through Node's
// net, shaped as the WebSocket wasmclient's transport drives (onopen,
// onclose, bufferedAmount, close), for a stream of length-prefixed frames
// (wasmclient/stream.go):
//   - send: the engine hands one buffer per write batch, frames already
//     prefixed, where it is in Go's memory; it is copied into the socket,
//     which stays corked for the rest of the turn (one write syscall for
//     the batches of one turn);
//   - receive: the complete frames of each read go in one copy and one
//     call (ipcbus_recv_run_buffer, ipcbus_recv_run: the engine cuts them),
//     a frame that spans reads straight into the memory the engine makes
//     for it (ipcbus_recv_buffer, ipcbus_recv); the woken goroutines run
//     once per read (the engine queues at most three runs per read);
//   - backpressure: bufferedAmount is the socket's writableLength, and
//     ondrain tells the engine's writer, waiting for room, that it is 0.
import net from 'node:net';

// streamOpen opens "unix:PATH" or "tcp:HOST:PORT".
export function streamOpen(url) {
  return new StreamSocket(String(url));
}

function connectOptions(url) {
  if (url.startsWith('unix:')) return { path: url.slice(5) };
  const hp = url.slice(4);
  const i = hp.lastIndexOf(':');
  const port = Number(hp.slice(i + 1));
  if (i < 0 || !Number.isInteger(port) || port <= 0 || port > 65535) throw new TypeError(`ipcbus: bad TCP address ${url}`);
  return { host: hp.slice(0, i).replace(/^\[(.*)\]$/, '$1') || '127.0.0.1', port, noDelay: true };
}

class StreamSocket {
  constructor(url) {
    /** @type {((ev: object) => void) | null} */
    this.onopen = null;
    /** @type {((ev: {code: number, reason: string}) => void) | null} */
    this.onclose = null;
    /** @type {((ev: object) => void) | null} */
    this.ondrain = null;
    this.protocol = '';
    this.closeEvent = { code: 1006, reason: '' };
    this.corked = false;
    this.sock = net.connect(connectOptions(url));
    this.sock.on('connect', () => { if (this.onopen) this.onopen({}); });
    this.sock.on('error', (err) => { this.closeEvent.reason = err.message; });
    this.sock.on('close', () => { if (this.onclose) this.onclose(this.closeEvent); });
    this.sock.on('drain', () => { if (this.ondrain) this.ondrain({}); });
  }

  get bufferedAmount() { return this.sock.writableLength; }

  // send copies bytes (a view of Go's memory) into the socket.
  send(bytes) {
    if (this.sock.destroyed) return;
    if (!this.corked) {
      this.corked = true;
      this.sock.cork();
      process.nextTick(() => {
        this.corked = false;
        this.sock.uncork();
      });
    }
    // Buffer.from(view) zero-fills its memory first: allocUnsafe and set
    // copy only.
    const b = Buffer.allocUnsafe(bytes.length);
    b.set(bytes);
    this.sock.write(b);
  }

  // close ends the stream (what is written still goes), and drops it if the
  // hub does not close its side within a second.
  close(code) {
    this.closeEvent.code = code || 1000;
    this.sock.end();
    setTimeout(() => this.sock.destroy(), 1000).unref();
  }

  // listenFrames hands the frames read to transport id of the engine io:
  // the complete frames of each read in one piece (ipcbus_recv_run), and a
  // frame that spans reads straight into memory of its own, as it comes.
  listenFrames(io, id) {
    const head = Buffer.alloc(4);
    let headN = 0;
    let need = -1; // the length of the frame being read, -1 between frames
    let got = 0;
    let addr = 0;
    this.sock.on('data', (chunk) => {
      const ex = io.exports;
      const len = chunk.length;
      let pos = 0;
      while (pos < len) {
        if (need < 0 && headN === 0) {
          let end = pos;
          while (end + 4 <= len) {
            const n = chunk.readUInt32BE(end);
            if (n > len - end - 4) break;
            end += 4 + n;
          }
          if (end > pos) {
            const a = ex.ipcbus_recv_run_buffer(id, end - pos);
            if (a !== 0) new Uint8Array(ex.mem.buffer, a, end - pos).set(chunk.subarray(pos, end));
            if (a === 0 || ex.ipcbus_recv_run(id, end - pos) !== 0) { // the transport is gone or closed
              io.resume();
              this.sock.destroy();
              return;
            }
            pos = end;
            continue;
          }
        }
        if (need < 0) {
          while (headN < 4 && pos < len) head[headN++] = chunk[pos++];
          if (headN < 4) break;
          need = head.readUInt32BE(0);
          headN = 0;
          got = 0;
          addr = need > 0 ? ex.ipcbus_recv_buffer(id, need) : 0;
          if (need > 0 && addr === 0) { // over the engine's limit, or the transport is gone
            ex.ipcbus_recv(id, need);
            io.resume();
            this.sock.destroy();
            return;
          }
        }
        const take = Math.min(need - got, len - pos);
        if (take > 0) {
          new Uint8Array(ex.mem.buffer, addr + got, take).set(chunk.subarray(pos, pos + take));
          got += take;
          pos += take;
        }
        if (got === need) {
          ex.ipcbus_recv(id, need);
          need = -1;
        }
      }
      io.resume();
    });
  }
}
