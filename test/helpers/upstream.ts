/**
 * A loopback echo upstream for proxy tests: records every request it receives and answers with
 * JSON describing it. Extra routes: `/sse` (3 events, 100 ms apart), `/redirect` (302 to
 * `redirectTo`), `/ws` (minimal RFC 6455 echo). With `echoKeyBack`, it also reflects the received
 * Authorization value in a response header and in the body, split across two writes — the hostile
 * upstream that response redaction must defeat.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  body: string;
}

export interface EchoUpstreamOptions {
  /** Serve HTTPS with this certificate; plain HTTP without it. */
  tls?: { cert: string; key: string };
  host?: string;
  port?: number;
  /** Reflect the Authorization header in `x-echo-authorization` and in the body. */
  echoKeyBack?: boolean;
  /** Location for `/redirect`. */
  redirectTo?: string;
}

export interface EchoUpstream {
  /** Origin, e.g. `https://127.0.0.1:43121` (IPv6 bracketed). */
  url: string;
  port: number;
  requests: RecordedRequest[];
  /** Requests whose client went away before the body ended: not recorded, not answered. */
  readonly aborted: number;
  close(): Promise<void>;
}

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'; // RFC 6455 §1.3

const readBody = async (req: http.IncomingMessage): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

const record = (req: http.IncomingMessage, body: string): RecordedRequest => ({
  method: req.method ?? '',
  url: req.url ?? '',
  headers: req.headers,
  rawHeaders: req.rawHeaders,
  body,
});

function sendSse(res: http.ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  let n = 0;
  const timer = setInterval(() => {
    n++;
    res.write(`id: ${n}\ndata: event ${n}\n\n`);
    if (n === 3) {
      clearInterval(timer);
      res.end();
    }
  }, 100);
  res.on('close', () => clearInterval(timer));
}

/** Writes the key in two halves 20 ms apart, so a redactor must handle a value split across chunks. */
function sendKeyBack(res: http.ServerResponse, r: RecordedRequest): void {
  const auth = r.headers.authorization ?? '';
  const body = JSON.stringify({ method: r.method, path: r.url, headers: r.headers, body: r.body, authorization: auth });
  const idx = body.lastIndexOf(auth);
  const at = idx < 0 ? body.length >> 1 : idx + (auth.length >> 1);
  res.writeHead(200, { 'content-type': 'application/json', 'x-echo-authorization': auth });
  res.write(body.slice(0, at));
  setTimeout(() => res.end(body.slice(at)), 20);
}

/** Answers a WebSocket handshake and echoes text frames (small, masked client frames). */
function upgradeWebSocket(req: http.IncomingMessage, socket: Duplex): void {
  const key = req.headers['sec-websocket-key'];
  if (req.url !== '/ws' || typeof key !== 'string') {
    socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    return;
  }
  const accept = createHash('sha1').update(key + WS_GUID).digest('base64');
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-accept: ${accept}\r\n\r\n`);
  let buf = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    for (;;) {
      const frame = parseClientFrame(buf);
      if (frame === 'unsupported') return void socket.destroy();
      if (!frame) return;
      buf = buf.subarray(frame.size);
      if (frame.opcode === 0x8) {
        socket.end(Buffer.from([0x88, 0x00]));
        return;
      }
      if (frame.opcode === 0x1) socket.write(Buffer.concat([serverFrameHeader(frame.payload.length), frame.payload]));
    }
  });
  socket.on('error', () => socket.destroy());
}

/** One complete masked frame from the client (RFC 6455 §5.2), or null if more bytes are needed. */
function parseClientFrame(b: Buffer): { opcode: number; payload: Buffer; size: number } | 'unsupported' | null {
  if (b.length < 2) return null;
  let len = b[1]! & 0x7f;
  let off = 2;
  if (len === 126) {
    if (b.length < 4) return null;
    len = b.readUInt16BE(2);
    off = 4;
  } else if (len === 127) {
    return 'unsupported'; // 64-bit lengths: tests never send frames that large
  }
  if (b.length < off + 4 + len) return null;
  const mask = b.subarray(off, off + 4);
  const payload = Buffer.from(b.subarray(off + 4, off + 4 + len));
  for (let i = 0; i < payload.length; i++) payload[i] = payload[i]! ^ mask[i % 4]!;
  return { opcode: b[0]! & 0x0f, payload, size: off + 4 + len };
}

const serverFrameHeader = (len: number): Buffer =>
  len < 126 ? Buffer.from([0x81, len]) : Buffer.from([0x81, 126, len >> 8, len & 0xff]);

/** Starts the echo upstream on an ephemeral port. */
export async function startEchoUpstream(options: EchoUpstreamOptions = {}): Promise<EchoUpstream> {
  const host = options.host ?? '127.0.0.1';
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket | Duplex>();

  let aborted = 0;

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    let body: string;
    try {
      body = await readBody(req);
    } catch {
      // An aborted upload rejects the body iterator (ECONNRESET / 'aborted'); nothing to answer.
      aborted++;
      res.destroy();
      return;
    }
    const r = record(req, body);
    requests.push(r);
    if (req.url === '/sse') return sendSse(res);
    if (req.url === '/redirect' && options.redirectTo) {
      res.writeHead(302, { location: options.redirectTo, 'content-length': '0' });
      res.end();
      return;
    }
    if (options.echoKeyBack) return sendKeyBack(res, r);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ method: r.method, path: r.url, headers: r.headers, body: r.body }));
  };
  // http.Server ignores the listener's promise: a rejection must not escape as unhandled, which
  // ends the test process (Node ≥ 15) and fails whichever test happens to be running.
  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    handle(req, res).catch(() => res.destroy());
  };

  const server = options.tls ? https.createServer({ cert: options.tls.cert, key: options.tls.key }, handler) : http.createServer(handler);
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex) => {
    requests.push(record(req, ''));
    sockets.add(socket);
    upgradeWebSocket(req, socket);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const hostPart = host.includes(':') ? `[${host}]` : host;
  return {
    url: `${options.tls ? 'https' : 'http'}://${hostPart}:${port}`,
    port,
    requests,
    get aborted() {
      return aborted;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
