/**
 * A call page for the three-participant e2e test, built on the client library only: one <video> tile per
 * participant (the own filtered self-view marked), one <audio> per other participant, and per-frame samples of
 * every tile (wall-clock time, RTP timestamp, mean colour of the left and right halves) for pixel checks.
 */
export const ROOM_TEST_PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>room test</title>
<script src="/deepphoto-client.js"></script></head><body>
<div id="tiles"></div>
<script>
const S = window.S = { tiles: {}, names: {}, stats: [], errors: [], selfId: null };
const canvas = document.createElement('canvas'); canvas.width = 32; canvas.height = 24;
const g = canvas.getContext('2d', { willReadFrequently: true });
function halves(video) {
  g.drawImage(video, 0, 0, 32, 24);
  const d = g.getImageData(0, 0, 32, 24).data, l = [0, 0, 0], r = [0, 0, 0];
  for (let y = 2; y < 22; y++) for (let x = 1; x < 31; x++) {
    if (x === 15 || x === 16) continue; // the boundary blurs in VP8
    const i = (y * 32 + x) * 4, m = x < 16 ? l : r;
    m[0] += d[i]; m[1] += d[i + 1]; m[2] += d[i + 2];
  }
  const n = 20 * 14;
  return [l.map((v) => v / n), r.map((v) => v / n)];
}
function addTile(id, track, self) {
  const v = document.createElement('video');
  v.muted = true; v.autoplay = true; v.playsInline = true; v.width = 160; v.height = 120;
  v.dataset.participant = id; v.dataset.self = String(self);
  v.srcObject = new MediaStream([track]);
  document.getElementById('tiles').append(v);
  const rec = S.tiles[id] = { self, addedAt: Date.now(), removedAt: null, frames: [] };
  const onFrame = (now, meta) => {
    if (!v.isConnected) return;
    const [left, right] = halves(v);
    rec.frames.push({ t: Date.now(), rtp: meta.rtpTimestamp, pf: meta.presentedFrames, w: meta.width, left, right });
    if (rec.frames.length > 900) rec.frames.splice(0, 300);
    v.requestVideoFrameCallback(onFrame);
  };
  v.requestVideoFrameCallback(onFrame);
}
window.join = async (room, name, style) => {
  const client = window.client = new DeepPhoto.DeepPhotoClient({ statsIntervalMs: 500 });
  client.on('error', (e) => S.errors.push(e.message));
  S.states = [];
  client.on('state', (st) => S.states.push([st, Date.now()]));
  client.on('participant.joined', (p) => { S.names[p.id] = p.name; });
  client.on('stats.client', (s) => { S.stats.push({ t: Date.now(), ...s }); if (S.stats.length > 200) S.stats.shift(); });
  client.on('track.added', ({ participantId, kind, track, self }) => {
    if (kind === 'video') return addTile(participantId, track, self);
    const a = document.createElement('audio'); a.autoplay = true; a.dataset.participant = participantId;
    a.srcObject = new MediaStream([track]); document.body.append(a); a.play().catch(() => {});
  });
  client.on('track.removed', ({ participantId, kind }) => {
    for (const el of document.querySelectorAll('[data-participant="' + participantId + '"]')) el.remove();
    if (kind === 'video' && S.tiles[participantId]) S.tiles[participantId].removedAt = Date.now();
  });
  const camera = await navigator.mediaDevices.getUserMedia({ video: { width: 320, height: 240, frameRate: 15 }, audio: true });
  const startedAt = Date.now();
  const joined = await client.join(room, { name, camera, effect: { style, target: 'background' } });
  S.selfId = joined.participantId;
  for (const p of joined.participants) S.names[p.id] = p.name;
  return { id: joined.participantId, others: joined.participants.map((p) => p.name), startedAt, states: S.states };
};
window.remoteTiles = () => [...document.querySelectorAll('video[data-self="false"]')].map((v) => v.dataset.participant);
window.setStyle = async (style) => { const r = await window.client.setEffect({ style }); return { ...r, ackAt: Date.now() }; };
</script></body></html>`;
