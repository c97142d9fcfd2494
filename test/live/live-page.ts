/** A tiny live page for browser tests: camera → server → returned video, with per-frame colour samples. */
export const LIVE_PAGE_HTML = `<!doctype html><html><head><meta charset="utf-8"><title>live test</title>
<script src="/socket.io.js"></script></head><body>
<video id="local" autoplay muted playsinline width="160" height="120"></video>
<video id="remote" autoplay muted playsinline width="160" height="120"></video>
<script>
const S = window.live = { frames: [], localMeans: [], errors: [], stats: [], events: [], socket: null, pc: null };
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
function withBitrate(sdp, kbps) {
  // Chrome stays at ~300 kbps unless the VP8 fmtp carries x-google bitrates (webrtc-notes #1).
  const m = sdp.match(/a=rtpmap:(\\d+) VP8\\/90000/);
  if (!m) return sdp;
  const pt = m[1];
  const extra = 'x-google-start-bitrate=' + kbps + ';x-google-min-bitrate=' + Math.round(kbps / 2) + ';x-google-max-bitrate=' + kbps * 2;
  if (new RegExp('a=fmtp:' + pt + ' ').test(sdp)) return sdp.replace(new RegExp('a=fmtp:' + pt + ' (.*)'), (l, p) => 'a=fmtp:' + pt + ' ' + p + ';' + extra);
  return sdp.replace(m[0], m[0] + '\\r\\na=fmtp:' + pt + ' ' + extra);
}
S.emit = (event, payload) => new Promise((resolve) => S.socket.emit(event, payload, resolve));
S.start = async () => {
  // The server's loopback zero-setup token (tests may preset S.token, e.g. from a join link).
  const auth = (cb) => (S.token ? Promise.resolve(S.token) : fetch('/api/token').then((r) => r.json()).then((j) => (S.token = j.token)))
    .then((token) => cb({ token }), () => cb({}));
  const socket = S.socket = io({ transports: ['websocket'], auth });
  socket.on('connect_error', (e) => S.errors.push({ code: (e.data && e.data.code) || 'connect_error', message: e.message }));
  socket.on('error', (e) => S.errors.push(e));
  socket.on('stats', (s) => S.stats.push(s));
  socket.on('recording.ready', (r) => S.events.push({ type: 'recording.ready', r }));
  await new Promise((r) => socket.on('connect', r));
  const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480, frameRate: 30 } });
  document.getElementById('local').srcObject = stream;
  const pc = S.pc = new RTCPeerConnection(S.rtcConfig || {});
  const tr = pc.addTransceiver(stream.getVideoTracks()[0], { direction: 'sendrecv' });
  const vp8 = RTCRtpReceiver.getCapabilities('video').codecs.filter((c) => /VP8|rtx/i.test(c.mimeType));
  tr.setCodecPreferences(vp8);
  const remote = document.getElementById('remote');
  pc.ontrack = (e) => { remote.srcObject = new MediaStream([e.track]); };
  pc.onicecandidate = (e) => { if (e.candidate) socket.emit('ice', { candidate: e.candidate.toJSON() }); };
  socket.on('ice', ({ candidate }) => { if (candidate) pc.addIceCandidate(candidate).catch(() => {}); });
  const offer = await pc.createOffer();
  await pc.setLocalDescription({ type: 'offer', sdp: withBitrate(offer.sdp, 1500) });
  const res = await S.emit('offer', { sdp: pc.localDescription.sdp });
  if (!res.ok) throw new Error('offer failed: ' + JSON.stringify(res.error));
  await pc.setRemoteDescription({ type: 'answer', sdp: res.sdp });
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
