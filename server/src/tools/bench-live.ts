/**
 * npm run bench:live -- [--json] [--seconds 20] [--style mosaic] [--target background|none|...] [--working 320]
 *
 * Drives the real product over real WebRTC: headless Debian Chromium sends a 640x480@30 canvas stream to the
 * server (started in this process with the real pipeline), and reads the returned video back.
 * Each sent frame is a picture of a person (a frame of --person-video, default the shared upper-body clip) with the
 * page clock (ms, 20 bits + 2 reference blocks) drawn as black/white blocks in the left and right margins.
 * Glass-to-glass = page clock when the returned frame is painted − clock decoded from it. The style network
 * destroys the blocks wherever it is composited, so latency is read with `--target person` (the default: the
 * person is stylized, the margins are background and stay readable) or `none` (the floor). With `background` or
 * `whole` the code is unreadable and only fps and server stages are reported.
 * Server-side figures come from the per-second `stats` events.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { startServer } from '../server.ts';
import { CPU_LIVE_WORKING_SIZE } from '../pipeline/live-processor.ts';
import { quietLogger } from '../context.ts';
import { TWO_PEOPLE_STILL_FILTER } from './two-people.ts';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    seconds: { type: 'string', default: '20' },
    style: { type: 'string', default: 'mosaic' },
    target: { type: 'string', default: 'person' },
    'person-video': { type: 'string', default: new URL('../../../../shared/data/video/liveportrait_s18_upperbody.mp4', import.meta.url).pathname },
    working: { type: 'string' },
    warmup: { type: 'string', default: '4' },
    // Person selection: two people side by side (the clip and its mirror), and a click at X,Y (0..1) after warm-up.
    'two-people': { type: 'boolean', default: false },
    pick: { type: 'string' },
  },
});
if (values.working) process.env.DEEPPHOTO_LIVE_WORKING_SIZE = values.working;

const PAGE = `<!doctype html><html><body><canvas id="c" width="640" height="480"></canvas><video id="v" autoplay muted playsinline></video>
<script src="/socket.io.js"></script><script>
// 22 blocks: 11 rows in the left margin, 11 in the right margin (x 0..BW and W-BW..W).
const W = 640, H = 480, ROWS = 11, BW = 64, BH = H / ROWS, N = 22;
const c = document.getElementById('c'), g = c.getContext('2d');
const person = new Image(); person.src = '/person.png';
function blockRect(i) { return [i < ROWS ? 0 : W - BW, (i % ROWS) * BH]; }
function draw() {
  const t = Math.round(performance.now()) & 0xfffff;
  if (person.complete && person.naturalWidth) g.drawImage(person, 0, 0, W, H); else { g.fillStyle = '#6a8'; g.fillRect(0, 0, W, H); }
  for (let i = 0; i < N; i++) {
    const bit = i === 0 ? 0 : i === 1 ? 1 : (t >> (i - 2)) & 1;
    g.fillStyle = bit ? '#f0f0f0' : '#101010';
    const [x, y] = blockRect(i); g.fillRect(x, y, BW, BH);
  }
}
setInterval(draw, 1000 / 60); draw();
const small = document.createElement('canvas'); small.width = W / 4; small.height = H / 4;
const sg = small.getContext('2d', { willReadFrequently: true });
function decode(video) {
  sg.drawImage(video, 0, 0, small.width, small.height);
  const d = sg.getImageData(0, 0, small.width, small.height).data;
  const lum = [];
  for (let i = 0; i < N; i++) {
    const [x0, y0] = blockRect(i); let s = 0, n = 0;
    for (let y = Math.round((y0 + BH * 0.3) / 4); y < Math.round((y0 + BH * 0.7) / 4); y++)
      for (let x = Math.round((x0 + BW * 0.3) / 4); x < Math.round((x0 + BW * 0.7) / 4); x++) { const k = (y * small.width + x) * 4; s += d[k] + d[k + 1] + d[k + 2]; n++; }
    lum.push(s / n / 3);
  }
  const lo = lum[0], hi = lum[1];
  if (hi - lo < 30) return null; // unreadable (e.g. first frames)
  let t = 0; for (let b = 0; b < 20; b++) if (lum[b + 2] > (lo + hi) / 2) t |= 1 << b;
  return t;
}
window.bench = { latencies: [], unreadable: 0, frames: 0, stats: [] };
window.startBench = async () => {
  const socket = io({ transports: ['websocket'] });
  socket.on('stats', (s) => window.bench.stats.push(s));
  await new Promise((r) => socket.on('connect', r));
  const emit = (e, p) => new Promise((r) => socket.emit(e, p, r));
  const stream = c.captureStream(30);
  const pc = new RTCPeerConnection();
  const tr = pc.addTransceiver(stream.getVideoTracks()[0], { direction: 'sendrecv' });
  tr.setCodecPreferences(RTCRtpReceiver.getCapabilities('video').codecs.filter((x) => /VP8|rtx/i.test(x.mimeType)));
  const v = document.getElementById('v');
  pc.ontrack = (e) => { v.srcObject = new MediaStream([e.track]); };
  pc.onicecandidate = (e) => { if (e.candidate) socket.emit('ice', { candidate: e.candidate.toJSON() }); };
  socket.on('ice', ({ candidate }) => { if (candidate) pc.addIceCandidate(candidate).catch(() => {}); });
  const offer = await pc.createOffer();
  const pt = offer.sdp.match(/a=rtpmap:(\\d+) VP8\\/90000/)[1];
  const extra = 'x-google-start-bitrate=1500;x-google-min-bitrate=750;x-google-max-bitrate=3000';
  const sdp = new RegExp('a=fmtp:' + pt + ' ').test(offer.sdp) ? offer.sdp.replace(new RegExp('a=fmtp:' + pt + ' (.*)'), (l, p) => 'a=fmtp:' + pt + ' ' + p + ';' + extra) : offer.sdp.replace('a=rtpmap:' + pt + ' VP8/90000', 'a=rtpmap:' + pt + ' VP8/90000\\r\\na=fmtp:' + pt + ' ' + extra);
  await pc.setLocalDescription({ type: 'offer', sdp });
  const res = await emit('offer', { sdp });
  if (!res.ok) throw new Error(JSON.stringify(res.error));
  await pc.setRemoteDescription({ type: 'answer', sdp: res.sdp });
  window.bench.update = (p) => emit('session.update', p);
  const onFrame = () => {
    const t = decode(v);
    window.bench.frames++;
    if (t === null) window.bench.unreadable++;
    else window.bench.latencies.push(((Math.round(performance.now()) & 0xfffff) - t + 0x100000) & 0xfffff);
    v.requestVideoFrameCallback(onFrame);
  };
  v.requestVideoFrameCallback(onFrame);
};
</script></body></html>`;

const socketIoJs = await readFile(new URL('../../../node_modules/socket.io-client/dist/socket.io.min.js', import.meta.url));
/** A frame of the person clip as PNG (ffmpeg); without it the canvas shows only the code blocks on green. */
async function personPng(): Promise<Buffer | null> {
  const video = values['person-video']!;
  if (!existsSync(video)) return null;
  const { stdout } = await promisify(execFile)(
    'ffmpeg',
    ['-v', 'error', '-ss', '2', '-i', video, '-frames:v', '1', ...(values['two-people'] ? ['-filter_complex', TWO_PEOPLE_STILL_FILTER] : ['-vf', 'scale=640:480:force_original_aspect_ratio=increase,crop=640:480']), '-f', 'image2pipe', '-c:v', 'png', '-'],
    { encoding: 'buffer', maxBuffer: 16 << 20 },
  );
  return stdout;
}
const png = await personPng();
const server = await startServer({
  maxSessions: 1,
  servePage: false,
  logger: quietLogger,
  plugins: [
    async (app) => {
      app.get('/', async (_q, reply) => reply.type('text/html').send(PAGE));
      app.get('/socket.io.js', async (_q, reply) => reply.type('text/javascript').send(socketIoJs));
      app.get('/person.png', async (_q, reply) => (png ? reply.type('image/png').send(png) : reply.status(404).send()));
    },
  ],
});
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--allow-loopback-in-peer-connection', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--autoplay-policy=no-user-gesture-required'],
});
let pickedPeople: number[] | undefined;
type Bench = { latencies: number[]; unreadable: number; frames: number; stats: Record<string, unknown>[] };
try {
  const page = await browser.newPage();
  await page.goto(server.url + '/');
  await page.waitForFunction(() => document.querySelector('img') !== null || true);
  await page.evaluate(() => (window as unknown as { startBench(): Promise<void> }).startBench());
  const update = await page.evaluate(
    (p) => (window as unknown as { bench: { update(p: unknown): Promise<{ ok: boolean; error?: unknown }> } }).bench.update(p),
    { style: values.style, target: values.target },
  );
  if (!update.ok) throw new Error(`session.update refused: ${JSON.stringify(update.error)}`);
  await new Promise((r) => setTimeout(r, Number(values.warmup) * 1000)); // bitrate ramp-up, model warm-up
  if (values.pick) {
    const [x = 0.25, y = 0.75] = values.pick.split(',').map(Number);
    const picked = await page.evaluate(
      (p) => (window as unknown as { bench: { update(p: unknown): Promise<{ ok: boolean; error?: unknown; people?: number[] }> } }).bench.update(p),
      { pick: { x, y } },
    );
    if (!picked.ok) throw new Error(`pick refused: ${JSON.stringify(picked.error)}`);
    pickedPeople = picked.people ?? [];
    await new Promise((r) => setTimeout(r, 1000));
  }
  await page.evaluate(() => {
    const b = (window as unknown as { bench: Bench }).bench;
    b.latencies = [];
    b.unreadable = 0;
    b.frames = 0;
    b.stats = [];
  });
  const cpuStart = process.cpuUsage();
  const wallStart = performance.now();
  await new Promise((r) => setTimeout(r, Number(values.seconds) * 1000));
  const cpu = process.cpuUsage(cpuStart);
  const wallMs = performance.now() - wallStart;
  const bench = await page.evaluate(() => (window as unknown as { bench: Bench }).bench);
  const sorted = [...bench.latencies].sort((a, b) => a - b);
  const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? Number.NaN;
  const stats = bench.stats as { fpsIn: number; fpsOut: number; droppedFrames: number; latencyMs: number; stages: Record<string, number> }[];
  const mean = (f: (s: (typeof stats)[number]) => number) => Math.round((stats.reduce((a, s) => a + f(s), 0) / Math.max(1, stats.length)) * 100) / 100;
  const stageNames = Object.keys(stats[0]?.stages ?? {});
  const effect = server.signaling.sessions.size > 0 ? undefined : 'session closed early';
  const look = server.photo.catalog.list().find((l) => l.id === values.style);
  const liveModel = look?.models.live?.id ?? `${look?.models.quality?.id ?? values.style} (teacher: no light net for this style)`;
  const report = {
    frame: '640x480@30',
    style: values.style,
    target: values.target,
    ...(pickedPeople ? { pickedPeople } : {}),
    styleModel: liveModel,
    personPicture: png ? 'frame of the upper-body clip' : 'none (code blocks on green)',
    workingLongSide: Number(process.env.DEEPPHOTO_LIVE_WORKING_SIZE ?? CPU_LIVE_WORKING_SIZE),
    seconds: Math.round(wallMs / 100) / 10,
    fpsOutPage: Math.round((bench.frames / (wallMs / 1000)) * 10) / 10,
    fpsIn: mean((s) => s.fpsIn),
    fpsOut: mean((s) => s.fpsOut),
    droppedFrames: stats.reduce((a, s) => a + s.droppedFrames, 0),
    glassToGlassMs: { p50: pct(0.5), p95: pct(0.95), n: sorted.length, unreadableFrames: bench.unreadable },
    serverLatencyMs: mean((s) => s.latencyMs),
    stagesMs: Object.fromEntries(stageNames.map((k) => [k, mean((s) => s.stages[k] ?? 0)])),
    serverCpuPercentOfOneCore: Math.round(((cpu.user + cpu.system) / 1000 / wallMs) * 1000) / 10,
    ...(effect ? { warning: effect } : {}),
  };
  console.log(values.json ? JSON.stringify(report, null, 2) : report);
} finally {
  await browser.close();
  await server.close();
}
