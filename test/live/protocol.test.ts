import { describe, expect, it } from 'vitest';
import { clientEventSchemas, icePayloadSchema, offerSchema, sessionUpdateSchema, MAX_SDP_LENGTH } from '@deepphoto/shared';

describe('signaling protocol schemas', () => {
  it('offer needs a non-empty sdp string of bounded size and nothing else', () => {
    expect(offerSchema.safeParse({ sdp: 'v=0\r\n' }).success).toBe(true);
    expect(offerSchema.safeParse({ sdp: '' }).success).toBe(false);
    expect(offerSchema.safeParse({ sdp: 5 }).success).toBe(false);
    expect(offerSchema.safeParse({ sdp: 'x'.repeat(MAX_SDP_LENGTH + 1) }).success).toBe(false);
    expect(offerSchema.safeParse({ sdp: 'v=0', extra: 1 }).success).toBe(false);
    expect(offerSchema.safeParse(undefined).success).toBe(false);
  });

  it('ice accepts a candidate object or null, and rejects strings and bad indexes', () => {
    expect(icePayloadSchema.safeParse({ candidate: { candidate: 'candidate:1 1 udp 1 127.0.0.1 5000 typ host', sdpMid: '0', sdpMLineIndex: 0 } }).success).toBe(true);
    expect(icePayloadSchema.safeParse({ candidate: null }).success).toBe(true);
    expect(icePayloadSchema.safeParse({ candidate: 'candidate:1' }).success).toBe(false);
    expect(icePayloadSchema.safeParse({ candidate: { candidate: 'c', sdpMLineIndex: -1 } }).success).toBe(false);
  });

  it('session.update needs a well-formed style or a known target', () => {
    expect(sessionUpdateSchema.safeParse({ style: 'candy' }).success).toBe(true);
    expect(sessionUpdateSchema.safeParse({ target: 'background' }).success).toBe(true);
    expect(sessionUpdateSchema.safeParse({}).success).toBe(false);
    expect(sessionUpdateSchema.safeParse({ style: '../etc' }).success).toBe(false);
    expect(sessionUpdateSchema.safeParse({ target: 'sky' }).success).toBe(false);
    expect(sessionUpdateSchema.safeParse({ style: 'candy', colour: 'red' }).success).toBe(false);
  });

  it('recording events take no payload or an empty object', () => {
    expect(clientEventSchemas['recording.start'].safeParse(undefined).success).toBe(true);
    expect(clientEventSchemas['recording.start'].safeParse({}).success).toBe(true);
    expect(clientEventSchemas['recording.stop'].safeParse({ id: 'x' }).success).toBe(false);
    expect(clientEventSchemas['recording.stop'].safeParse('stop').success).toBe(false);
  });
});
