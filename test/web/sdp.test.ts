import { describe, expect, it } from 'vitest';
import { bitrateForSize, withVp8Bitrate } from '../../web/lib/sdp.ts';

const OFFER = [
  'v=0',
  'm=video 9 UDP/TLS/RTP/SAVPF 96 97 98',
  'a=rtpmap:96 VP8/90000',
  'a=rtcp-fb:96 nack',
  'a=rtpmap:97 rtx/90000',
  'a=fmtp:97 apt=96',
  'a=rtpmap:98 VP9/90000',
  'a=fmtp:98 profile-id=0',
  '',
].join('\r\n');

describe('offer munging (web/lib/sdp.ts)', () => {
  it('adds x-google bitrates to the VP8 payload type only, as a new fmtp line when it has none', () => {
    const out = withVp8Bitrate(OFFER, 1000);
    expect(out).toContain('a=rtpmap:96 VP8/90000\r\na=fmtp:96 x-google-start-bitrate=1000;x-google-min-bitrate=500;x-google-max-bitrate=2000\r\n');
    expect(out).toContain('a=fmtp:97 apt=96\r\n');
    expect(out).toContain('a=fmtp:98 profile-id=0\r\n');
    expect(out.split('\r\n').length).toBe(OFFER.split('\r\n').length + 1);
  });

  it('appends to an existing VP8 fmtp line and replaces earlier x-google values instead of repeating them', () => {
    const withFmtp = OFFER.replace('a=rtcp-fb:96 nack', 'a=fmtp:96 max-fs=12288;x-google-start-bitrate=300');
    const out = withVp8Bitrate(withFmtp, 1500);
    expect(out).toContain('a=fmtp:96 max-fs=12288;x-google-start-bitrate=1500;x-google-min-bitrate=750;x-google-max-bitrate=3000\r\n');
    expect(out.match(/x-google-start-bitrate/g)).toHaveLength(1);
  });

  it('leaves an offer without VP8 unchanged and scales the bitrate with the capture size', () => {
    const noVp8 = OFFER.replace('VP8', 'H264');
    expect(withVp8Bitrate(noVp8, 1000)).toBe(noVp8);
    expect(bitrateForSize(320, 240)).toBe(300);
    expect(bitrateForSize(640, 480)).toBe(900);
    expect(bitrateForSize(1280, 720)).toBe(2750);
  });
});
