/**
 * The smallest page using the client library: no Next.js, no React, no hand-written WebRTC. 30 lines.
 * It asks for a camera, sends it through a one-person filter session and shows the filtered track.
 */
export const MINIMAL_CLIENT_PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>filter only</title>
<script src="/deepphoto-client.js"></script></head><body>
<video id="filtered" autoplay muted playsinline width="320" height="240"></video>
<script>
window.result = { frames: [], error: null };
async function main(style) {
  const client = new DeepPhoto.DeepPhotoClient();
  client.on('error', (e) => { window.result.error = e.message; });
  const camera = await navigator.mediaDevices.getUserMedia({ video: { width: 320, height: 240 } });
  const track = await client.filter(camera, { style, target: 'whole' });
  const video = document.getElementById('filtered');
  video.srcObject = new MediaStream([track]);
  const canvas = document.createElement('canvas');
  canvas.width = 32; canvas.height = 24;
  const g = canvas.getContext('2d', { willReadFrequently: true });
  const onFrame = () => {
    g.drawImage(video, 0, 0, 32, 24);
    const d = g.getImageData(0, 0, 32, 24).data;
    const m = [0, 0, 0];
    for (let i = 0; i < d.length; i += 4) { m[0] += d[i]; m[1] += d[i + 1]; m[2] += d[i + 2]; }
    window.result.frames.push(m.map((v) => v / (d.length / 4)));
    video.requestVideoFrameCallback(onFrame);
  };
  video.requestVideoFrameCallback(onFrame);
  window.client = client;
  return track.kind;
}
</script></body></html>`;
