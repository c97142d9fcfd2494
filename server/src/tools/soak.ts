/**
 * `npm run soak -- --minutes 10 --json`: two real Chromium calls against the real server (own process, real
 * pipeline), a style switch every 5 s on each, a 10 s recording every minute. Reports per minute: server RSS,
 * fps of each call (server stats), and at the end: RSS growth from minute 2 to the last, sessions / frame workers /
 * ffmpeg children / threads left after the calls end, and whether the server exits cleanly.
 */
import { spawn } from 'node:child_process';
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { chromium, type Page } from 'playwright-core';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    json: { type: 'boolean', default: false },
    'switch-seconds': { type: 'string', default: '5' },
    styles: { type: 'string', default: 'mosaic,candy,udnie' },
  },
});
const minutes = Number(values.minutes);
const switchMs = Number(values['switch-seconds']) * 1000;
const styles = values.styles!.split(',');
const say = (m: string) => {
  if (!values.json) console.log(m);
  else console.error(m);
};

const PAGE = `<!doctype html><html><head><meta charset="utf-8"><script src="/socket.io.js"></script></head><body>
<video id="remote" autoplay muted playsinline width="160" height="120"></video>
<script>
const S = window.soak = { frames: 0, stats: [], errors: [] };
S.emit = (event, payload) => new Promise((resolve) => {
  const timer = setTimeout(() => resolve({ ok: false, error: { code: 'no_answer' } }), 15000);
  S.socket.emit(event, payload, (r) => { clearTimeout(timer); resolve(r); });
});
S.start = async () => {
  const auth = (cb) => fetch('/api/token').then((r) => r.json()).then((j) => cb({ token: j.token }), () => cb({}));
  const socket = S.socket = io({ transports: ['websocket'], auth });
  socket.on('error', (e) => S.errors.push(e));
  socket.on('stats', (s) => S.stats.push({ t: Date.now(), fpsOut: s.fpsOut, fpsIn: s.fpsIn }));
  await new Promise((r) => socket.on('connect', r));
  const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480, frameRate: 30 } });
  const pc = S.pc = new RTCPeerConnection();
  const tr = pc.addTransceiver(stream.getVideoTracks()[0], { direction: 'sendrecv' });
  tr.setCodecPreferences(RTCRtpReceiver.getCapabilities('video').codecs.filter((c) => /VP8|rtx/i.test(c.mimeType)));
  const remote = document.getElementById('remote');
  pc.ontrack = (e) => { remote.srcObject = new MediaStream([e.track]); };
  pc.onicecandidate = (e) => { if (e.candidate) socket.emit('ice', { candidate: e.candidate.toJSON() }); };
  socket.on('ice', ({ candidate }) => { if (candidate) pc.addIceCandidate(candidate).catch(() => {}); });
  const offer = await pc.createOffer();
  const m = offer.sdp.match(/a=rtpmap:(\\d+) VP8\\/90000/);
  const sdp = m ? offer.sdp.replace(m[0], m[0] + '\\r\\na=fmtp:' + m[1] + ' x-google-start-bitrate=1000;x-google-min-bitrate=500;x-google-max-bitrate=2000') : offer.sdp;
  await pc.setLocalDescription({ type: 'offer', sdp });
  const res = await S.emit('offer', { sdp: pc.localDescription.sdp });
  if (!res.ok) throw new Error('offer failed: ' + JSON.stringify(res.error));
  await pc.setRemoteDescription({ type: 'answer', sdp: res.sdp });
  const onFrame = () => { S.frames++; remote.requestVideoFrameCallback(onFrame); };
  remote.requestVideoFrameCallback(onFrame);
};
</script></body></html>`;

interface ServerSample {
  t: number;
  rssMb: number;
  sessions: number;
  workers: number;
  children: number;
  threads: number;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'deepphoto-soak-'));
  const pageFile = path.join(dir, 'page.html');
  await writeFile(pageFile, PAGE);
  const child = spawn(process.execPath, ['--import', 'tsx', new URL('./soak-server.ts', import.meta.url).pathname], {
    // As `npm start` runs the server: glibc's per-thread malloc arenas capped (see server/package.json, README).
    env: { ...process.env, MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? '2', SOAK_PAGE_FILE: pageFile, SOAK_RECORDINGS: path.join(dir, 'rec') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const samples: ServerSample[] = [];
  let final: ServerSample | undefined;
  let url = '';
  let buffered = '';
  child.stdout!.on('data', (d: Buffer) => {
    buffered += d.toString();
    let i;
    while ((i = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, i);
      buffered = buffered.slice(i + 1);
      if (line.startsWith('READY ')) url = line.slice(6);
      else if (line.startsWith('FINAL ')) final = JSON.parse(line.slice(6)) as ServerSample;
      else if (line.startsWith('{')) samples.push(JSON.parse(line) as ServerSample);
    }
  });
  let serverErr = '';
  const serverLog = path.join(os.tmpdir(), `deepphoto-soak-server-${process.pid}.log`);
  child.stderr!.on('data', (d: Buffer) => {
    serverErr = (serverErr + d.toString()).slice(-20_000);
    void appendFile(serverLog, d);
  });
  let serverGone: number | null | undefined;
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      serverGone = code;
      resolve(code);
    }),
  );
  const readyBy = Date.now() + 120_000;
  while (!url && Date.now() < readyBy) await new Promise((r) => setTimeout(r, 200));
  if (!url) throw new Error(`soak: server did not start\n${serverErr}`);
  await new Promise((r) => setTimeout(r, 1500));
  const baseline = samples.at(-1)!;

  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', '--allow-loopback-in-peer-connection',
      '--disable-background-timer-throttling', '--disable-renderer-backgrounding', '--disable-backgrounding-occluded-windows'],
  });
  const pages: Page[] = [];
  for (let i = 0; i < 2; i++) {
    const page = await browser.newPage();
    await page.goto(`${url}/`);
    await page.evaluate(() => (window as unknown as { soak: { start(): Promise<void> } }).soak.start());
    pages.push(page);
  }
  say(`soak: 2 calls running; ${minutes} min`);
  const emit = (page: Page, event: string, payload: unknown) =>
    page.evaluate(([e, p]) => (window as unknown as { soak: { emit(e: string, p: unknown): Promise<{ ok: boolean }> } }).soak.emit(e as string, p), [event, payload] as const);

  const started = Date.now();
  const counts = { switchesSent: 0, switches: 0, switchesFailed: 0, recordings: 0, recordingsFailed: 0 };
  const failedCodes: Record<string, number> = {};
  let styleIndex = 0;
  let nextSwitch = started + switchMs;
  let nextRecording = started + 20_000;
  let recordingStop = 0;
  let recordingPage: Page | undefined;
  const minuteEnds: number[] = [];
  while (Date.now() - started < minutes * 60_000 && serverGone === undefined) {
    const now = Date.now();
    if (now >= nextSwitch) {
      nextSwitch += switchMs;
      const style = styles[styleIndex++ % styles.length]!;
      // Fired on the clock, not after the previous answer: a slow load must not stretch the 5 s cadence (the
      // server merges switches that arrive while one loads; every one is still answered).
      counts.switchesSent += pages.length;
      for (const p of pages) {
        void emit(p, 'session.update', { style })
          .catch(() => ({ ok: false, error: { code: 'page_gone' } }))
          .then((a) => {
            const r = a as { ok: boolean; error?: { code: string } };
            if (r.ok) counts.switches++;
            else (counts.switchesFailed++, (failedCodes[r.error?.code ?? 'unknown'] = (failedCodes[r.error?.code ?? 'unknown'] ?? 0) + 1));
          });
      }
    }
    if (now >= nextRecording && !recordingPage) {
      nextRecording += 60_000;
      recordingPage = pages[counts.recordings % 2]!;
      const a = await emit(recordingPage, 'recording.start', {}).catch(() => ({ ok: false }));
      if (!a.ok) counts.recordingsFailed++, (recordingPage = undefined);
      recordingStop = now + 10_000;
    }
    if (recordingPage && now >= recordingStop) {
      const a = (await emit(recordingPage, 'recording.stop', {}).catch(() => ({ ok: false }))) as { ok: boolean; bytes?: number };
      a.ok && (a.bytes ?? 0) > 0 ? counts.recordings++ : counts.recordingsFailed++;
      recordingPage = undefined;
    }
    const minute = Math.floor((now - started) / 60_000);
    if (minuteEnds.length < minute) {
      minuteEnds.push(now);
      const rss = samples.at(-1)?.rssMb;
      say(`soak: minute ${minute}: server RSS ${rss} MB`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  await new Promise((r) => setTimeout(r, 16_000)); // let the last switches be answered (or time out) before counting
  const end = Date.now();
  minuteEnds.push(end);
  const stats = await Promise.all(
    pages.map((p) => p.evaluate(() => (window as unknown as { soak: { stats: Array<{ t: number; fpsOut: number }>; errors: unknown[]; frames: number } }).soak)),
  );
  for (const p of pages) await p.close();
  await browser.close();
  const leakBy = Date.now() + 15_000;
  while (serverGone === undefined && Date.now() < leakBy && (samples.at(-1)!.sessions > 0 || samples.at(-1)!.workers > 0 || samples.at(-1)!.children > 0)) await new Promise((r) => setTimeout(r, 500));
  await new Promise((r) => setTimeout(r, 2000));
  const afterCalls = samples.at(-1)!;
  child.kill('SIGTERM');
  const exitCode = await exited;

  // per minute: server RSS (mean of the minute's samples) and fps of each call (mean of its per-second stats)
  const perMinute = minuteEnds.map((endT, m) => {
    const from = started + m * 60_000;
    const inMinute = samples.filter((s) => s.t >= from && s.t < endT);
    const rss = inMinute.length ? inMinute.reduce((a, s) => a + s.rssMb, 0) / inMinute.length : NaN;
    const fps = stats.map((st) => {
      const xs = st.stats.filter((s) => s.t >= from && s.t < endT).map((s) => s.fpsOut);
      return xs.length ? Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 10) / 10 : 0;
    });
    return { minute: m + 1, rssMb: Math.round(rss), fpsOut: fps };
  });
  const full = perMinute.filter((m) => m.minute <= minutes);
  const from = full.find((m) => m.minute === 2) ?? full[0]!;
  const to = full.at(-1)!;
  const fpsAll = full.flatMap((m) => m.fpsOut).filter((x) => x > 0);
  const result = {
    minutes,
    perMinute: full,
    rssGrowthPctMinute2ToEnd: Math.round(((to.rssMb - from.rssMb) / from.rssMb) * 1000) / 10,
    fpsMin: Math.min(...fpsAll),
    fpsMax: Math.max(...fpsAll),
    ...counts,
    switchFailuresByCode: failedCodes,
    pageErrors: stats.map((s) => s.errors.length),
    baseline: { rssMb: baseline.rssMb, threads: baseline.threads },
    afterCalls: { sessions: afterCalls.sessions, frameWorkers: afterCalls.workers, ffmpegChildren: afterCalls.children, threads: afterCalls.threads },
    leakedThreadsVsBaseline: afterCalls.threads - baseline.threads,
    final: final ?? null,
    serverExitCode: exitCode,
    serverDiedDuringSoak: serverGone !== undefined && Date.now() - started < minutes * 60_000 ? true : undefined,
    serverLogTail: exitCode === 0 ? undefined : serverErr.slice(-3000),
    serverLog,
  };
  await rm(dir, { recursive: true, force: true });
  console.log(values.json ? JSON.stringify(result) : result);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
