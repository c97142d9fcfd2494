/**
 * `npm run fuzz -- --json [--quick] [--payloads N] [--packets N]`: attacks a running server on loopback.
 *
 * 1. Socket payloads: generated and mutated payloads for every signaling event (and unknown events, extra
 *    arguments, binary, deep nesting, huge strings), from several token identities, plus connection attempts with
 *    bad tokens and foreign origins.
 * 2. Media: a real werift peer connects a call, then sends random and mutated RTP (through SRTP, so they reach the
 *    VP8 depacketizer: bad descriptors, no markers, oversize keyframes, padding, sequence jumps), random RTCP
 *    (through SRTCP, so they reach the RTCP parser), and raw datagrams (unencrypted, STUN/DTLS/RTP-looking) to the
 *    server's ICE port.
 *
 * The server runs in this process with counting handlers for uncaught errors: a crash is counted, not fatal to the
 * fuzzer. Pass: 0 crashes, 0 sessions/workers/children left after all clients leave, health still 200, RSS bounded.
 */
import { createSocket } from 'node:dgram';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { io as connect, type Socket } from 'socket.io-client';
import { RTCPeerConnection, RTCRtpCodecParameters, RtpHeader } from 'werift';
import { BUILTIN_STYLE_IDS } from '../live/builtin-processors.ts';
import { liveFrameWorkerCount } from '../live/frame-worker-client.ts';
import { liveRecorderChildren } from '../live/recorder.ts';
import { TokenAuthority } from '../security/tokens.ts';
import { startServer } from '../server.ts';

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const num = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const quick = flag('quick');
const PAYLOADS = num('payloads', quick ? 1000 : 10_000);
const PACKETS = num('packets', quick ? 5000 : 100_000);
const SEED = num('seed', 1);
const json = flag('json');
const say = (m: string) => {
  if (!json) console.log(m);
};

// ---- deterministic randomness (a failing run can be replayed with --seed) ----
let state = SEED >>> 0 || 1;
const rand = () => {
  state ^= state << 13;
  state ^= state >>> 17;
  state ^= state << 5;
  return (state >>> 0) / 0x1_0000_0000;
};
const int = (n: number) => Math.floor(rand() * n);
const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
const bytes = (n: number) => {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = int(256);
  return b;
};
const str = (n: number) => {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789 -_=:;\r\n\t\u0000\u00e9\u{1f600}{}[]"\\/<>%$';
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[int(alphabet.length)];
  return s;
};
const KEYS = ['sdp', 'candidate', 'sdpMid', 'sdpMLineIndex', 'usernameFragment', 'style', 'target', '__proto__', 'constructor', 'toString', 'id', ''];
function value(depth = 0): unknown {
  switch (int(depth > 3 ? 6 : 9)) {
    case 0:
      return pick([0, -1, 1.5, 2 ** 53, -(2 ** 31), 65, 1e308]);
    case 1:
      return str(int(rand() < 0.05 ? 200_000 : 200));
    case 2:
      return pick([true, false, null, undefined]);
    case 3:
      return pick(['whole', 'background', 'person', 'none', 'invert', 'tint-red', 'mosaic', 'Bad Style!', 'x'.repeat(65)]);
    case 4:
      return bytes(int(rand() < 0.05 ? 300_000 : 64));
    case 5:
      return '';
    case 6:
      return Array.from({ length: int(6) }, () => value(depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      // defineProperty: "__proto__" becomes an own key (as JSON.parse on the server would make it), not a prototype
      for (let i = int(5); i > 0; i--) Object.defineProperty(o, pick(KEYS), { value: value(depth + 1), enumerable: true, configurable: true, writable: true });
      return o;
    }
  }
}

function mutateSdp(sdp: string): string {
  const lines = sdp.split('\r\n');
  for (let k = 1 + int(4); k > 0; k--) {
    const i = int(lines.length);
    switch (int(6)) {
      case 0:
        lines.splice(i, 1);
        break;
      case 1:
        lines.splice(i, 0, lines[int(lines.length)]!);
        break;
      case 2:
        lines[i] = (lines[i] ?? '').slice(0, int((lines[i] ?? '').length + 1));
        break;
      case 3:
        lines[i] = `${lines[i] ?? ''}${str(int(40))}`;
        break;
      case 4:
        lines[i] = (lines[i] ?? '').replace(/\d+/, String(pick([0, -1, 65536, 4294967296, 16383])));
        break;
      default:
        lines.splice(i, 0, pick(['a=fmtp:96 max-fs=999999999', 'm=video 9 UDP/TLS/RTP/SAVPF 96', 'a=ssrc:1 cname:x', 'a=candidate:1 1 udp 1 10.255.255.1 9 typ host', 'a=rtpmap:96 VP8/90000']));
    }
  }
  return lines.join('\r\n');
}

const VALID_CANDIDATE = { candidate: 'candidate:1 1 udp 2130706431 127.0.0.1 9 typ host', sdpMid: '0', sdpMLineIndex: 0 };
const EVENTS = ['offer', 'ice', 'session.update', 'recording.start', 'recording.stop'] as const;

function payloadFor(event: string, validSdp: string): unknown[] {
  const r = rand();
  if (r < 0.35) return [value()];
  if (r < 0.45) return Array.from({ length: 2 + int(3) }, () => value()); // extra arguments
  switch (event) {
    case 'offer':
      return [{ sdp: rand() < 0.7 ? mutateSdp(validSdp) : validSdp.slice(0, int(validSdp.length)) }];
    case 'ice': {
      const c: Record<string, unknown> = { ...VALID_CANDIDATE };
      c[pick(Object.keys(c))] = value();
      if (rand() < 0.2) c.candidate = `candidate:${str(int(30))}`;
      return [{ candidate: rand() < 0.1 ? null : c }];
    }
    case 'session.update':
      return [rand() < 0.5 ? { style: pick(['invert', 'tint-red', 'tint-green', 'nope', 'A']) } : { target: pick(['whole', 'person', 'sky', 3]) }];
    default:
      return [rand() < 0.5 ? {} : value()];
  }
}

async function offerPeer(): Promise<{ pc: RTCPeerConnection; sdp: string }> {
  const pc = new RTCPeerConnection({
    codecs: { audio: [], video: [new RTCRtpCodecParameters({ mimeType: 'video/VP8', clockRate: 90_000 })] },
    iceServers: [],
    iceAdditionalHostAddresses: ['127.0.0.1'],
  });
  pc.addTransceiver('video', { direction: 'sendrecv' });
  await pc.setLocalDescription(await pc.createOffer());
  return { pc, sdp: pc.localDescription!.sdp };
}

async function main(): Promise<void> {
  const crashes: string[] = [];
  const onCrash = (kind: string) => (e: unknown) => crashes.push(`${kind}: ${e instanceof Error ? e.stack ?? e.message : String(e)}`.slice(0, 800));
  const onException = onCrash('uncaughtException');
  const onRejection = onCrash('unhandledRejection');
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);
  const workerFailures: string[] = [];

  const secret = 'fuzz-secret-0123456789abcdef0123456789abcdef';
  const dir = await mkdtemp(path.join(os.tmpdir(), 'deepphoto-fuzz-'));
  const server = await startServer({
    servePage: false,
    processorModule: new URL('../live/builtin-processors.ts', import.meta.url).href,
    recordings: { dir },
    maxSessions: 4,
    security: { secret, connectTimeoutMs: 4000, noMediaTimeoutMs: 4000 },
    signaling: {
      knownStyles: BUILTIN_STYLE_IDS,
      defaultEffect: { style: 'invert', target: 'whole' },
      logger: {
        info: (m) => {
          if (/worker failed/.test(m)) workerFailures.push(m);
        },
        warn: () => {},
      },
    },
    logger: { info: () => {}, warn: () => {} },
  });
  const authority = new TokenAuthority(secret);
  const rss: number[] = [];
  const sampler = setInterval(() => rss.push(process.memoryUsage().rss), 500);
  const started = performance.now();
  const rssStart = process.memoryUsage().rss;
  const counts = { clientEncodeErrors: 0, payloads: 0, acked: 0, refused: {} as Record<string, number>, unanswered: 0, badConnections: 0, badConnectionsRefused: 0, rtp: 0, rtcp: 0, raw: 0, sessionsCreated: 0 };

  // ---- phase 1: socket payloads ----
  const { sdp: validSdp, pc: offerer } = await offerPeer();
  await offerer.close();
  const sockets: Socket[] = [];
  for (let i = 0; i < 4; i++) {
    const token = await authority.issue({ identity: `fuzzer-${i}` });
    const s = connect(server.url, { transports: ['websocket'], forceNew: true, auth: { token }, reconnection: true, reconnectionDelay: 100 });
    await new Promise<void>((r) => s.once('connect', () => r()));
    s.on('error', () => {});
    sockets.push(s);
  }
  const sendOne = async (): Promise<void> => {
    const s = pick(sockets);
    if (!s.connected) await new Promise((r) => setTimeout(r, 50));
    const event = rand() < 0.05 ? pick(['nope', 'constructor', '__proto__', 'toString', 'hasOwnProperty', str(8)]) : pick(EVENTS);
    const payload = payloadFor(event, validSdp);
    // unknown events have no handler, so nothing answers them: fire and forget, like the 10 % sent without an ack
    const noAck = rand() < 0.1 || !(EVENTS as readonly string[]).includes(event);
    const emit = (...a: unknown[]): boolean => {
      try {
        (s as unknown as { emit(e: string, ...a: unknown[]): void }).emit(event, ...a);
        counts.payloads++;
        return true;
      } catch {
        counts.clientEncodeErrors++; // socket.io-client refused to encode it: never sent, not counted
        return false;
      }
    };
    if (noAck) {
      emit(...payload);
      return;
    }
    const answer = await new Promise<{ ok?: boolean; error?: { code: string } } | undefined | 'unsent'>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), 3000);
      const sent = emit(...payload, (r: { ok?: boolean; error?: { code: string } }) => {
        clearTimeout(timer);
        resolve(r);
      });
      if (!sent) clearTimeout(timer), resolve('unsent');
    });
    if (answer === 'unsent') return;
    if (!answer) {
      counts.unanswered++;
      return;
    }
    counts.acked++;
    if (answer.ok && event === 'offer') counts.sessionsCreated++;
    if (answer.ok === false && answer.error) counts.refused[answer.error.code] = (counts.refused[answer.error.code] ?? 0) + 1;
  };
  const BATCH = 16;
  for (let i = 0; counts.payloads < PAYLOADS; i += BATCH) {
    await Promise.all(Array.from({ length: BATCH }, sendOne));
    if ((i / BATCH) % 25 === 0) {
      // a connection attempt with a bad token / foreign origin
      counts.badConnections++;
      const bad = pick([undefined, 'x', `${(await authority.issue({ identity: 'x' })).slice(0, -3)}abc`, str(300)]);
      const outcome = await new Promise<string>((resolve) => {
        const c = connect(server.url, { transports: ['websocket'], forceNew: true, reconnection: false, auth: bad === undefined ? {} : { token: bad }, extraHeaders: rand() < 0.5 ? { origin: 'https://evil.example' } : {} });
        c.once('connect', () => (c.disconnect(), resolve('connected')));
        c.once('connect_error', () => (c.disconnect(), resolve('refused')));
      });
      if (outcome === 'refused') counts.badConnectionsRefused++;
    }
  }
  say(`socket payloads: ${counts.payloads} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  for (const s of sockets) s.disconnect();

  // ---- phase 2: RTP / RTCP against a connected call ----
  const mediaStarted = performance.now();
  const { pc, sdp } = await offerPeer();
  const token = await authority.issue({ identity: 'media-fuzzer' });
  const sock = connect(server.url, { transports: ['websocket'], forceNew: true, auth: { token } });
  await new Promise<void>((r) => sock.once('connect', () => r()));
  sock.on('ice', ({ candidate }: { candidate: unknown }) => {
    if (candidate) void pc.addIceCandidate(candidate as never).catch(() => {});
  });
  pc.onIceCandidate.subscribe((c) => {
    if (c) sock.emit('ice', { candidate: c.toJSON() });
  });
  const answer = await new Promise<{ ok: boolean; sdp?: string }>((resolve) => sock.emit('offer', { sdp }, resolve));
  if (!answer.ok || !answer.sdp) throw new Error(`media fuzz: offer refused ${JSON.stringify(answer)}`);
  await pc.setRemoteDescription({ type: 'answer', sdp: answer.sdp });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('media fuzz: call did not connect')), 15_000);
    if (pc.connectionState === 'connected') return clearTimeout(timer), resolve();
    pc.connectionStateChange.subscribe((s) => {
      if (s === 'connected') clearTimeout(timer), resolve();
    });
  });
  const serverPort = Number(/a=candidate:\S+ 1 udp \d+ 127\.0\.0\.1 (\d+) typ host/.exec(answer.sdp)?.[1] ?? 0);
  const transceiver = pc.getTransceivers()[0]!;
  const dtls = transceiver.sender.dtlsTransport as unknown as {
    srtp: { encrypt(payload: Buffer, header: RtpHeader): Buffer };
    srtcp: { encrypt(payload: Buffer): Buffer };
    iceTransport: { connection: { send(b: Buffer): Promise<void> } };
  };
  const ssrc = transceiver.sender.ssrc;
  const udp = createSocket('udp4');
  let seq = 1000;
  let ts = 90_000;
  const vp8Keyframe = (w: number, h: number, n: number) => {
    const b = bytes(n);
    b[0] = 0x10;
    b[3] = 0x9d;
    b[4] = 0x01;
    b[5] = 0x2a;
    b.writeUInt16LE(w & 0x3fff, 6);
    b.writeUInt16LE(h & 0x3fff, 8);
    return b;
  };
  for (let i = 0; i < PACKETS; i++) {
    const r = rand();
    if (r < 0.6) {
      counts.rtp++;
      const kind = int(6);
      const marker = kind === 2 ? false : rand() < 0.3;
      seq = (seq + (rand() < 0.95 ? 1 : int(70_000))) & 0xffff;
      if (rand() < 0.1) ts = (ts + 3000) >>> 0;
      let payload: Buffer;
      if (kind === 0) payload = bytes(int(1300));
      else if (kind === 1) payload = Buffer.concat([Buffer.from([0x90, 0x80, int(256), int(256)]), vp8Keyframe(pick([640, 4096, 16383, 0, 1]), pick([480, 4096, 16383, 0]), int(1100) + 10)]);
      else if (kind === 2) payload = Buffer.concat([Buffer.from([rand() < 0.5 ? 0x10 : 0x00]), bytes(1150)]);
      else if (kind === 3) payload = Buffer.alloc(0);
      else if (kind === 4) payload = Buffer.from([pick([0x80, 0xff, 0x90, 0x10])]);
      else payload = Buffer.concat([Buffer.from([0x10]), bytes(int(1200))]);
      const header = new RtpHeader({ sequenceNumber: seq, timestamp: ts, marker, payloadType: rand() < 0.9 ? 96 : int(128), ssrc: rand() < 0.9 ? ssrc : int(2 ** 32) });
      try {
        await dtls.iceTransport.connection.send(dtls.srtp.encrypt(payload, header));
      } catch {
        // our own encrypt refusing a shape is fine: the point is what reaches the server
      }
    } else if (r < 0.85) {
      counts.rtcp++;
      const n = 8 + int(120);
      const b = bytes(n);
      b[0] = 0x80 | int(32);
      b[1] = pick([200, 201, 202, 203, 204, 205, 206, 207, int(256)]);
      b.writeUInt16BE(rand() < 0.5 ? (n / 4 - 1) | 0 : int(65536), 2);
      try {
        await dtls.iceTransport.connection.send(dtls.srtcp.encrypt(b));
      } catch {
        // as above
      }
    } else {
      counts.raw++;
      const b = bytes(1 + int(1400));
      b[0] = pick([0x00, 0x01, 0x16, 0x17, 0x80, 0x81, 0xbf, 0xc8, int(256)]);
      if (rand() < 0.3) b[1] = pick([200, 201, 205, 206, 96]);
      await new Promise<void>((resolve) => udp.send(b, serverPort, '127.0.0.1', () => resolve()));
    }
    if (i % 200 === 199) await new Promise((r) => setImmediate(r));
  }
  udp.close();
  say(`media packets: ${counts.rtp + counts.rtcp + counts.raw} in ${((performance.now() - mediaStarted) / 1000).toFixed(1)} s`);
  sock.disconnect();
  await pc.close();

  // ---- leaks ----
  const leakDeadline = Date.now() + 15_000;
  while ((server.signaling.sessions.size > 0 || liveFrameWorkerCount() > 0 || liveRecorderChildren() > 0) && Date.now() < leakDeadline) {
    await new Promise((r) => setTimeout(r, 100));
  }
  const health = (await fetch(`${server.url}/api/health`)).status;
  clearInterval(sampler);
  const rssEnd = process.memoryUsage().rss;
  const result = {
    seed: SEED,
    quick,
    socketPayloads: counts.payloads,
    acked: counts.acked,
    unanswered: counts.unanswered,
    refusedByCode: counts.refused,
    sessionsCreated: counts.sessionsCreated,
    badConnections: counts.badConnections,
    badConnectionsRefused: counts.badConnectionsRefused,
    rtpPackets: counts.rtp,
    rtcpPackets: counts.rtcp,
    rawDatagrams: counts.raw,
    mediaPackets: counts.rtp + counts.rtcp + counts.raw,
    crashes: crashes.length,
    crashSamples: crashes.slice(0, 3),
    workerFailures: workerFailures.length,
    leakedSessions: server.signaling.sessions.size,
    leakedWorkers: liveFrameWorkerCount(),
    leakedChildren: liveRecorderChildren(),
    healthAfter: health,
    rssStartMb: Math.round(rssStart / 2 ** 20),
    rssMaxMb: Math.round(Math.max(rssStart, ...rss) / 2 ** 20),
    rssEndMb: Math.round(rssEnd / 2 ** 20),
    seconds: Math.round((performance.now() - started) / 100) / 10,
  };
  const pass =
    result.crashes === 0 &&
    result.workerFailures === 0 &&
    result.leakedSessions === 0 &&
    result.leakedWorkers === 0 &&
    result.leakedChildren === 0 &&
    result.healthAfter === 200 &&
    result.badConnectionsRefused === result.badConnections &&
    result.rssMaxMb - result.rssStartMb < 400;
  await server.close();
  await rm(dir, { recursive: true, force: true });
  process.off('uncaughtException', onException);
  process.off('unhandledRejection', onRejection);
  const out = { ...result, pass };
  console.log(json ? JSON.stringify(out) : out);
  process.exit(pass ? 0 : 1);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(2);
});

