/**
 * The stub resolver of `standin run --isolate` (UDP and TCP, RFC 1035). Inside the isolated
 * namespace every name must lead to standin, so every A query is answered with one fixed address
 * (the host side of the namespace's veth, where every TCP connection is redirected to the
 * transparent listener anyway); AAAA and every other type get an empty NOERROR answer (NODATA,
 * RFC 2308 §2.2), so clients fall back to IPv4 instead of failing, and nothing is ever resolved
 * for real: the proxy resolves the destination itself, once, behind its SSRF guard (DESIGN.md §2.6).
 * Answering locally also closes DNS as a way out: no query leaves the machine.
 */
import dgram from 'node:dgram';
import net from 'node:net';

const TYPE_A = 1;
const TYPE_ANY = 255;
const CLASS_IN = 1;
const RCODE_FORMERR = 1;
const RCODE_NOTIMP = 4;
/** Short, so a name answered inside one run is not cached by a client beyond it. */
const DEFAULT_TTL = 5;
const TCP_IDLE_MS = 10_000;
const MAX_TCP_MESSAGE = 4096;

export interface DnsQuestion {
  name: string;
  type: number;
  cls: number;
}

/** Reads the question of a query; null when the message is not a well-formed single-question query. */
export function parseQuestion(msg: Buffer): { question: DnsQuestion; end: number } | null {
  if (msg.length < 12 || msg.readUInt16BE(4) !== 1) return null;
  const labels: string[] = [];
  let off = 12;
  let total = 0;
  for (;;) {
    if (off >= msg.length) return null;
    const len = msg[off]!;
    if (len === 0) {
      off++;
      break;
    }
    if (len > 63) return null; // compression pointers do not belong in a query's question
    if (off + 1 + len > msg.length) return null;
    total += len + 1;
    if (total > 255) return null;
    labels.push(msg.toString('latin1', off + 1, off + 1 + len));
    off += 1 + len;
  }
  if (off + 4 > msg.length) return null;
  return { question: { name: labels.join('.'), type: msg.readUInt16BE(off), cls: msg.readUInt16BE(off + 2) }, end: off + 4 };
}

/**
 * The answer to one query message, or null when the message is not even a DNS header (dropped).
 * Pure, so the stub's behaviour is tested without sockets.
 */
export function answerQuery(msg: Buffer, address: string, ttl = DEFAULT_TTL): Buffer | null {
  if (msg.length < 12) return null;
  const flags = msg.readUInt16BE(2);
  if (flags & 0x8000) return null; // a response, not a query: never answer those (reflection loops)
  const opcode = (flags >> 11) & 0xf;
  const rd = flags & 0x0100;
  const header = (rcode: number, qd: number, an: number): Buffer => {
    const h = Buffer.alloc(12);
    msg.copy(h, 0, 0, 2); // id
    h.writeUInt16BE(0x8000 | (opcode << 11) | 0x0400 | rd | 0x0080 | rcode, 2); // QR, AA, RD echoed, RA
    h.writeUInt16BE(qd, 4);
    h.writeUInt16BE(an, 6);
    return h;
  };
  if (opcode !== 0) return header(RCODE_NOTIMP, 0, 0);
  const parsed = parseQuestion(msg);
  if (!parsed) return header(RCODE_FORMERR, 0, 0);
  const question = msg.subarray(12, parsed.end);
  const { type, cls } = parsed.question;
  if (cls !== CLASS_IN || (type !== TYPE_A && type !== TYPE_ANY)) return Buffer.concat([header(0, 1, 0), question]);
  const octets = address.split('.').map(Number);
  const rr = Buffer.alloc(16);
  rr.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question (RFC 1035 §4.1.4)
  rr.writeUInt16BE(TYPE_A, 2);
  rr.writeUInt16BE(CLASS_IN, 4);
  rr.writeUInt32BE(ttl, 6);
  rr.writeUInt16BE(4, 10);
  for (let i = 0; i < 4; i++) rr[12 + i] = octets[i]!;
  return Buffer.concat([header(0, 1, 1), question, rr]);
}

export interface DnsStubOptions {
  /** Listen address (the host side of the namespace's veth). */
  host: string;
  /** 0 (default) picks free ports. */
  udpPort?: number;
  tcpPort?: number;
  /** The IPv4 address every A query is answered with. */
  answer: string;
  ttl?: number;
  /** Only queries from these source addresses are answered; others are dropped. */
  allowSources?: ReadonlySet<string>;
  /** Called for each answered question (tests, debugging). */
  onQuery?: (q: DnsQuestion, source: string) => void;
}

export interface DnsStub {
  udpPort: number;
  tcpPort: number;
  close(): Promise<void>;
}

const bareAddress = (a: string | undefined): string => (a ?? '').replace(/^::ffff:/, '');

/** Starts the stub on UDP and TCP. */
export async function startDnsStub(opts: DnsStubOptions): Promise<DnsStub> {
  if (net.isIPv4(opts.answer) === false) throw new Error('the DNS stub answers with an IPv4 address');
  const allowed = (src: string) => !opts.allowSources || opts.allowSources.has(bareAddress(src));
  const respond = (msg: Buffer, src: string): Buffer | null => {
    const reply = answerQuery(msg, opts.answer, opts.ttl);
    if (reply && opts.onQuery) {
      const q = parseQuestion(msg);
      if (q) opts.onQuery(q.question, src);
    }
    return reply;
  };

  const udp = dgram.createSocket('udp4');
  udp.on('message', (msg, rinfo) => {
    if (!allowed(rinfo.address)) return;
    const reply = respond(msg, rinfo.address);
    if (reply) udp.send(reply, rinfo.port, rinfo.address);
  });
  udp.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    udp.once('error', reject);
    udp.bind(opts.udpPort ?? 0, opts.host, () => {
      udp.off('error', reject);
      resolve();
    });
  });

  const sockets = new Set<net.Socket>();
  const tcp = net.createServer((socket) => {
    if (!allowed(socket.remoteAddress ?? '')) return void socket.destroy();
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.setTimeout(TCP_IDLE_MS, () => socket.destroy());
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      // RFC 1035 §4.2.2: each message is prefixed with its two-byte length.
      while (buf.length >= 2) {
        const len = buf.readUInt16BE(0);
        if (len > MAX_TCP_MESSAGE) return void socket.destroy();
        if (buf.length < 2 + len) return;
        const reply = respond(buf.subarray(2, 2 + len), bareAddress(socket.remoteAddress));
        buf = buf.subarray(2 + len);
        if (!reply) return void socket.destroy();
        const framed = Buffer.alloc(2 + reply.length);
        framed.writeUInt16BE(reply.length, 0);
        reply.copy(framed, 2);
        socket.write(framed);
      }
    });
  });
  try {
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(opts.tcpPort ?? 0, opts.host, () => {
        tcp.off('error', reject);
        resolve();
      });
    });
  } catch (e) {
    udp.close();
    throw e;
  }
  return {
    udpPort: udp.address().port,
    tcpPort: (tcp.address() as net.AddressInfo).port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await Promise.all([
        new Promise<void>((r) => udp.close(() => r())),
        new Promise<void>((r) => tcp.close(() => r())),
      ]);
    },
  };
}
