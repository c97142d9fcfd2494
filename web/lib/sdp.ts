/**
 * Offer munging for the live call. Chrome keeps its send bitrate near 300 kbps (3–8 fps at 640x480) unless the
 * VP8 fmtp line of the offer carries `x-google-start-bitrate` / `-min-` / `-max-` (see webrtc-notes #1).
 * Pure string functions, so they are unit-tested without a browser.
 */

/** Start bitrate in kbps for a capture size: roughly 0.1 bit per pixel at 30 fps, clamped to 300–4000. */
export function bitrateForSize(width: number, height: number): number {
  return Math.max(300, Math.min(4000, Math.round((width * height * 30 * 0.1) / 1000 / 50) * 50));
}

/** Adds x-google bitrates to every VP8 payload type's fmtp line (adding the line when there is none). */
export function withVp8Bitrate(sdp: string, kbps: number): string {
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
  const extra = `x-google-start-bitrate=${kbps};x-google-min-bitrate=${Math.round(kbps / 2)};x-google-max-bitrate=${kbps * 2}`;
  const lines = sdp.split(eol);
  const vp8 = new Set<string>();
  for (const line of lines) {
    const m = /^a=rtpmap:(\d+) VP8\/90000/i.exec(line);
    if (m?.[1]) vp8.add(m[1]);
  }
  if (vp8.size === 0) return sdp;
  const out: string[] = [];
  const hasFmtp = new Set<string>();
  for (const line of lines) {
    const f = /^a=fmtp:(\d+) (.*)$/.exec(line);
    if (f?.[1] && vp8.has(f[1])) {
      hasFmtp.add(f[1]);
      const params = (f[2] ?? '').split(';').filter((p) => p && !p.trim().startsWith('x-google-'));
      out.push(`a=fmtp:${f[1]} ${[...params, extra].join(';')}`);
    } else out.push(line);
  }
  // payload types without an fmtp line get one right after their rtpmap
  const result: string[] = [];
  for (const line of out) {
    result.push(line);
    const m = /^a=rtpmap:(\d+) VP8\/90000/i.exec(line);
    if (m?.[1] && !hasFmtp.has(m[1])) result.push(`a=fmtp:${m[1]} ${extra}`);
  }
  return result.join(eol);
}
