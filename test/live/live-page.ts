/**
 * A tiny live page for browser tests: camera → server → returned video, with per-frame colour samples. Built on
 * the client library (served as /deepphoto-client.js, see test/support/client-bundle.ts), like the product page.
 */
export const LIVE_PAGE_HTML = `<!doctype html><html><head><meta charset="utf-8"><title>live test</title>
<script src="/deepphoto-client.js"></script></head><body>
<video id="local" autoplay muted playsinline width="160" height="120"></video>
<video id="remote" autoplay muted playsinline width="160" height="120"></video>
<script>
const S = window.live = { frames: [], localMeans: [], errors: [], stats: [], events: [], client: null };
function mean(video, w, h) {
  const c = mean.canvas || (mean.canvas = document.createElement('canvas'));
  c.width = w; c.height = h;
  const g = c.getContext('2d', { willReadFrequently: true });
  g.drawImage(video, 0, 0, w, h);
  const d = g.getImageData(0, 0, w, h).data;
  let r = 0, gg = 0, b = 0;
  for (let i = 0; i < d.length; i += 4) { r += d[i]; gg += d[i + 1]; b += d[i + 2]; }
  const n = d.length / 4;
  return [r / n, gg / n, b / n];
}
/** The signaling requests the tests make, answered like the server's acks ({ok: true, ...} or {ok: false, error}). */
S.emit = async (event, payload) => {
  const c = S.client;
  try {
    if (event === 'session.update') return { ok: true, ...(await c.setEffect(payload)) };
    if (event === 'recording.start') return { ok: true, id: await c.startRecording() };
    if (event === 'recording.stop') return { ok: true, ...(await c.stopRecording()) };
    throw new Error('unknown event ' + event);
  } catch (e) {
    return { ok: false, error: { code: e.code, message: e.message } };
  }
};
S.start = async () => {
  const client = S.client = new DeepPhoto.DeepPhotoClient({ ...(S.token ? { token: S.token } : {}), ...(S.rtcConfig ? { iceServers: S.rtcConfig.iceServers, iceTransportPolicy: S.rtcConfig.iceTransportPolicy } : {}) });
  client.on('error', (e) => S.errors.push({ code: e.code, message: e.message }));
  client.on('stats.server', (s) => S.stats.push(s));
  client.on('recording.ready', (r) => S.events.push({ type: 'recording.ready', r }));
  const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480, frameRate: 30 } });
  document.getElementById('local').srcObject = stream;
  const remote = document.getElementById('remote');
  remote.srcObject = new MediaStream([await client.filter(stream)]);
  const onFrame = (now, meta) => {
    S.frames.push({ t: performance.now(), mean: mean(remote, 64, 48), w: meta.width, h: meta.height });
    remote.requestVideoFrameCallback(onFrame);
  };
  remote.requestVideoFrameCallback(onFrame);
  const local = document.getElementById('local');
  const onLocal = () => { S.localMeans.push(mean(local, 64, 48)); if (S.localMeans.length > 600) S.localMeans.shift(); local.requestVideoFrameCallback(onLocal); };
  local.requestVideoFrameCallback(onLocal);
  return true;
};
</script></body></html>`;
