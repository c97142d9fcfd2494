/**
 * A call page for the cluster test, built on the client library only. `join(url, token, room, name, style)`
 * enters through one node's address; the library follows redirects and moves the call when its node drains or
 * dies. Every video tile records, per presented frame, the wall-clock time and the frame's mean colour.
 */
export const CLUSTER_TEST_PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>cluster test</title>
<script src="/deepphoto-client.js"></script></head><body>
<div id="tiles"></div>
<script>
const S = window.S = { tiles: {}, errors: [], states: [], moves: [], selfId: null, reloads: 0 };
const canvas = document.createElement('canvas'); canvas.width = 16; canvas.height = 12;
const g = canvas.getContext('2d', { willReadFrequently: true });
function meanColour(video) {
  g.drawImage(video, 0, 0, 16, 12);
  const d = g.getImageData(0, 0, 16, 12).data, m = [0, 0, 0];
  for (let i = 0; i < d.length; i += 4) { m[0] += d[i]; m[1] += d[i + 1]; m[2] += d[i + 2]; }
  return m.map((v) => Math.round(v / (d.length / 4)));
}
function addTile(id, track, self) {
  const v = document.createElement('video');
  v.muted = true; v.autoplay = true; v.playsInline = true; v.width = 160; v.height = 120;
  v.dataset.participant = id; v.dataset.self = String(self);
  v.srcObject = new MediaStream([track]);
  document.getElementById('tiles').append(v);
  const rec = S.tiles[id] = { id, self, addedAt: Date.now(), removedAt: null, frames: [] };
  const onFrame = () => {
    if (!v.isConnected) return;
    rec.frames.push({ t: Date.now(), m: meanColour(v) });
    if (rec.frames.length > 600) rec.frames.splice(0, 200);
    v.requestVideoFrameCallback(onFrame);
  };
  v.requestVideoFrameCallback(onFrame);
}
window.join = async (url, token, room, name, style) => {
  const client = window.client = new DeepPhoto.DeepPhotoClient({ url, token, iceServers: [], statsIntervalMs: 0 });
  client.on('error', (e) => S.errors.push([Date.now(), e.message]));
  client.on('state', (st) => S.states.push([st, Date.now()]));
  client.on('moved', (m) => { S.moves.push({ ...m, at: Date.now() }); S.selfId = client.selfId; });
  client.on('track.added', ({ participantId, kind, track, self }) => { if (kind === 'video') addTile(participantId, track, self); });
  client.on('track.removed', ({ participantId, kind }) => {
    for (const el of document.querySelectorAll('[data-participant="' + participantId + '"]')) el.remove();
    if (kind === 'video' && S.tiles[participantId]) S.tiles[participantId].removedAt = Date.now();
  });
  const camera = await navigator.mediaDevices.getUserMedia({ video: { width: 320, height: 240, frameRate: 10 } });
  const joined = await client.join(room, { name, camera, effect: { style, target: 'whole' } });
  S.selfId = joined.participantId;
  return { id: joined.participantId, others: joined.participants.map((p) => p.name), server: client.serverUrl };
};
window.view = () => ({
  server: window.client.serverUrl, state: window.client.state, selfId: window.client.selfId,
  names: Object.fromEntries([...window.client.participants.values()].map((p) => [p.id, p.name])),
});
window.addEventListener('beforeunload', () => { S.reloads++; });
</script></body></html>`;
