/**
 * npm run bench:live -- [--json] [--seconds 20] [--style mosaic] [--target background|none|...] [--working 320]
 * npm run bench:live -- --participants 3 --json [--processor toy|real] [--cpu-seconds 8]
 *
 * With `--participants N` (N > 1) every participant is a page (its own browser context) in one room call:
 * `self` is each page's own filtered self-view, `remote` the others' tiles (A's canvas clock read on B's screen;
 * the clock is wall time, shared by the pages). Then the server's process CPU is measured with forwarding on,
 * paused, and on again: the difference per forwarded stream is the CPU cost of forwarding.
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
import os from 'node:os';
import { promisify } from 'node:util';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { startServer } from '../server.ts';
import { CPU_LIVE_TIER, CPU_LIVE_WORKING_SIZE } from '../pipeline/live-processor.ts';
import { readLiveConfig } from '../config/config.ts';
import { DEFAULT_LIVE_OPTIONS } from '../pipeline/live-pipeline.ts';
import { quietLogger } from '../context.ts';
import { BUILTIN_STYLE_IDS } from '../live/builtin-processors.ts';
import { TOY_PROCESSOR_MODULE } from '../live/builtin-processors.ts';
import { clientBundle } from './client-bundle.ts';
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
    /** More than 1: a room call, every participant a page of its own; reports `self` and `remote` tiles. */
    participants: { type: 'string', default: '1' },
    /** `real` (the product's pipeline) or `toy` (built-in, no models; the default for a call). */
    processor: { type: 'string' },
    /** Length of each CPU phase (forwarding on, paused, on) after the latency run. */
    'cpu-seconds': { type: 'string', default: '8' },
    // Person selection: two people side by side (the clip and its mirror), and a click at X,Y (0..1) after warm-up.
    'two-people': { type: 'boolean', default: false },
    pick: { type: 'string' },
  },
});
if (values.working) process.env.DEEPPHOTO_LIVE_WORKING_SIZE = values.working;
/** The live settings the server reads at its start (after --working), for the report. */
const liveConfig = readLiveConfig();

const PAGE = `<!doctype html><html><body><canvas id="c" width="640" height="480"></canvas><div id="tiles"></div>
<script src="/deepphoto-client.js"></script><script>
// 22 blocks: 11 rows in the left margin, 11 in the right margin (x 0..BW and W-BW..W).
const W = 640, H = 480, ROWS = 11, BW = 64, BH = H / ROWS, N = 22;
// Wall-clock ms shared by every page of the browser (performance.now alone has a per-page origin).
const clock = () => Math.round(performance.timeOrigin + performance.now()) & 0xfffff;
const c = document.getElementById('c'), g = c.getContext('2d');
const person = new Image(); person.src = '/person.png';
function blockRect(i) { return [i < ROWS ? 0 : W - BW, (i % ROWS) * BH]; }
function draw() {
  const t = clock();
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
const bench = window.bench = { tiles: {}, stats: [] };
function watch(id, self, track) {
  const v = document.createElement('video'); v.muted = true; v.autoplay = true; v.playsInline = true;
  v.srcObject = new MediaStream([track]); document.getElementById('tiles').append(v);
  const rec = bench.tiles[id] = { self, latencies: [], unreadable: 0, frames: 0 };
  const onFrame = () => {
    const t = decode(v);
    rec.frames++;
    if (t === null) rec.unreadable++; else rec.latencies.push((clock() - t + 0x100000) & 0xfffff);
    v.requestVideoFrameCallback(onFrame);
  };
  v.requestVideoFrameCallback(onFrame);
}
// One client library for the page, the tests and this bench (web/lib/client).
window.startBench = async (room, name, effect) => {
  const client = window.client = new DeepPhoto.DeepPhotoClient();
  client.on('stats.server', (s) => bench.stats.push(s));
  const stream = c.captureStream(30);
  if (!room) return watch('self', true, await client.filter(stream, effect));
  client.on('track.added', ({ participantId, kind, track, self }) => { if (kind === 'video') watch(self ? 'self' : participantId, self, track); });
  await client.join(room, { name, camera: stream, effect });
};
window.resetBench = () => { for (const r of Object.values(bench.tiles)) { r.latencies = []; r.unreadable = 0; r.frames = 0; } bench.stats = []; };
</script></body></html>`;

const clientJs = await clientBundle();
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
const participants = Math.max(1, Number(values.participants));
const room = participants > 1;
// Three real pipelines do not fit this 2-core machine next to three browsers: a call defaults to the toy
// processor (built-in `none`: frames decoded, copied and re-encoded), which still measures what rooms add.
const processor = values.processor ?? (room ? 'toy' : 'real');
const effect = processor === 'toy' ? { style: 'none', target: 'whole' } : { style: values.style!, target: values.target! };
const png = await personPng();
const server = await startServer({
  maxSessions: participants,
  servePage: false,
  logger: quietLogger,
  ...(processor === 'toy' ? { processorModule: TOY_PROCESSOR_MODULE, signaling: { knownStyles: BUILTIN_STYLE_IDS, defaultEffect: { style: 'none', target: 'whole' as const } } } : {}),
  plugins: [
    async (app) => {
      app.get('/', async (_q, reply) => reply.type('text/html').send(PAGE));
      app.get('/deepphoto-client.js', async (_q, reply) => reply.type('text/javascript').send(clientJs));
      app.get('/person.png', async (_q, reply) => (png ? reply.type('image/png').send(png) : reply.status(404).send()));
    },
  ],
});
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--allow-loopback-in-peer-connection', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--autoplay-policy=no-user-gesture-required', '--disable-background-timer-throttling', '--disable-renderer-backgrounding', '--disable-backgrounding-occluded-windows'],
});
type Tile = { self: boolean; latencies: number[]; unreadable: number; frames: number };
type Bench = { tiles: Record<string, Tile>; stats: Record<string, unknown>[] };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? Number.NaN;
};
const round = (v: number, digits = 1) => Math.round(v * 10 ** digits) / 10 ** digits;
let pickedPeople: number[] | undefined;
try {
  const pages = [];
  for (let i = 0; i < participants; i++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(server.url + '/');
    await page.evaluate(([r, name, e]) => (window as unknown as { startBench(r: string | null, n: string, e: unknown): Promise<void> }).startBench(r, name, e), [room ? 'bench' : null, `P${i + 1}`, effect] as const);
    pages.push(page);
  }
  await sleep(Number(values.warmup) * 1000); // bitrate ramp-up, model warm-up
  if (values.pick && !room) {
    // Person selection: a click at X,Y (0..1) on the returned video, as the page's person picker sends it.
    const [x = 0.25, y = 0.75] = values.pick.split(',').map(Number);
    const picked = await pages[0]!.evaluate((p) => (window as unknown as { client: { setEffect(p: unknown): Promise<{ people?: number[] }> } }).client.setEffect(p), { pick: { x, y } });
    pickedPeople = picked.people ?? [];
    await sleep(1000);
  }
  for (const page of pages) await page.evaluate(() => (window as unknown as { resetBench(): void }).resetBench());
  const cpuStart = process.cpuUsage();
  const wallStart = performance.now();
  const loadBefore = os.loadavg();
  await sleep(Number(values.seconds) * 1000);
  const cpu = process.cpuUsage(cpuStart);
  const wallMs = performance.now() - wallStart;
  const benches = await Promise.all(pages.map((page) => page.evaluate(() => (window as unknown as { bench: Bench }).bench)));
  const stats = benches.flatMap((b) => b.stats) as { fpsIn: number; fpsOut: number; droppedFrames: number; latencyMs: number; stages: Record<string, number> }[];
  const mean = (f: (s: (typeof stats)[number]) => number) => round(stats.reduce((a, s) => a + f(s), 0) / Math.max(1, stats.length), 2);
  const stageNames = Object.keys(stats[0]?.stages ?? {});
  const server_ = {
    fpsIn: mean((s) => s.fpsIn),
    fpsOut: mean((s) => s.fpsOut),
    droppedFrames: stats.reduce((a, s) => a + s.droppedFrames, 0),
    serverLatencyMs: mean((s) => s.latencyMs),
    stagesMs: Object.fromEntries(stageNames.map((k) => [k, mean((s) => s.stages[k] ?? 0)])),
  };
  const tilesOf = (self: boolean) => benches.flatMap((b) => Object.values(b.tiles).filter((t) => t.self === self));
  const summary = (tiles: Tile[]) => {
    const latencies = tiles.flatMap((t) => t.latencies);
    return {
      tiles: tiles.length,
      fpsPerTile: round(tiles.reduce((a, t) => a + t.frames, 0) / Math.max(1, tiles.length) / (wallMs / 1000)),
      glassToGlassMs: { p50: percentile(latencies, 0.5), p95: percentile(latencies, 0.95), n: latencies.length, unreadableFrames: tiles.reduce((a, t) => a + t.unreadable, 0) },
    };
  };
  const common = {
    frame: '640x480@30',
    processor: processor === 'toy' ? 'toy: built-in "none" (decode, copy, encode; no models)' : 'real pipeline',
    style: effect.style,
    target: effect.target,
    personPicture: png ? 'frame of the upper-body clip' : 'none (code blocks on green)',
    seconds: round(wallMs / 1000),
    loadAverage1mBefore: round(loadBefore[0]!, 2),
    loadAverage1mAfter: round(os.loadavg()[0]!, 2),
  };
  if (!room) {
    const self = summary(tilesOf(true));
    const look = server.photo.catalog.list().find((l) => l.id === values.style);
    const report = {
      ...common,
      ...(pickedPeople ? { pickedPeople } : {}),
      // Blur and picture effects (`blur-*`, `bg-*`) run no network; picture styles run the arbitrary-style network.
      styleModel: look
        ? // What a CPU session runs: the tier from DEEPPHOTO_LIVE_TIER or the CPU default (int8 copies where they exist).
          (look.models[liveConfig.tier ?? CPU_LIVE_TIER]?.id ??
          look.models.live?.id ??
          (server.photo.catalog.styleVectorFor(values.style)
            ? `${server.photo.catalog.arbitrary?.transferModelId} (picture style, ${DEFAULT_LIVE_OPTIONS.arbitraryLongSide} px)`
            : `${look.models.quality?.id ?? values.style} (teacher: no light net for this style)`))
        : `none (${values.style} is not a network)`,
      workingLongSide: liveConfig.workingSize ?? CPU_LIVE_WORKING_SIZE,
      fpsOutPage: self.fpsPerTile,
      ...server_,
      glassToGlassMs: self.glassToGlassMs,
      serverCpuPercentOfOneCore: round(((cpu.user + cpu.system) / 1000 / wallMs) * 100),
      ...(server.signaling.sessions.size > 0 ? {} : { warning: 'session closed early' }),
    };
    console.log(values.json ? JSON.stringify(report, null, 2) : report);
  } else {
    const self = summary(tilesOf(true));
    const remote = summary(tilesOf(false));
    // CPU of forwarding: the server process with forwarding on, paused (packets still cached), on again.
    const callRoom = server.signaling.rooms.get('bench');
    if (!callRoom) throw new Error('the bench room is gone');
    const phase = async (paused: boolean) => {
      callRoom.paused = paused;
      await sleep(500);
      const c0 = process.cpuUsage();
      const w0 = performance.now();
      const f0 = callRoom.counters.forwardMs;
      await sleep(Number(values['cpu-seconds']) * 1000);
      const c = process.cpuUsage(c0);
      const w = performance.now() - w0;
      return { cpuPercent: ((c.user + c.system) / 1000 / w) * 100, forwardPercent: ((callRoom.counters.forwardMs - f0) / w) * 100 };
    };
    const on1 = await phase(false);
    const off = await phase(true);
    const on2 = await phase(false);
    // NACKs the browsers sent: on the self-view (camera transceiver) vs on the forwarded slots, per werift sender
    const nackCounts = { selfView: 0, forwardedSlots: 0 };
    for (const id of callRoom.participants().map((p) => p.id)) {
      const peer = server.signaling.sessions.get(id)?.peer;
      if (!peer) continue;
      const slots = new Set(peer.outputs.video.map((o) => o.transceiver));
      for (const t of peer.pc.getTransceivers()) {
        if (t.kind !== 'video') continue;
        const n = (t.sender as unknown as { nackCount?: number }).nackCount ?? 0;
        if (slots.has(t)) nackCounts.forwardedSlots += n;
        else nackCounts.selfView += n;
      }
    }
    const streams = participants * (participants - 1); // video streams forwarded (the canvas camera has no microphone)
    const withForwarding = (on1.cpuPercent + on2.cpuPercent) / 2;
    const report = {
      ...common,
      participants,
      maxSessions: participants,
      self,
      remote,
      remoteMinusSelfP50Ms: remote.glassToGlassMs.p50 - self.glassToGlassMs.p50,
      server: { ...server_, cpuPercentOfOneCore: round(((cpu.user + cpu.system) / 1000 / wallMs) * 100) },
      forwarding: {
        streams,
        processCpuPercentWith: round(withForwarding),
        processCpuPercentPaused: round(off.cpuPercent),
        cpuPercentOfOneCorePerStream: round((withForwarding - off.cpuPercent) / streams, 2),
        mainThreadForwardPercentPerStream: round((on1.forwardPercent + on2.forwardPercent) / 2 / streams, 3),
        counters: { ...callRoom.counters, forwardMs: round(callRoom.counters.forwardMs) },
        nackPacketsReceived: nackCounts,
      },
    };
    console.log(values.json ? JSON.stringify(report, null, 2) : report);
  }
} finally {
  await browser.close();
  await server.close();
}
