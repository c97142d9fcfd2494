import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ErrorPayload } from '@deepphoto/shared';
import type { SignalingHandle } from '../../server/src/signaling/signaling.ts';
import { startSignaling, type Client, type SignalingHarness } from '../support/signaling-harness.ts';

describe('signaling: effects', () => {
  let harness: SignalingHarness;
  let handle: SignalingHandle;
  const client = (): Promise<Client> => harness.client();

  beforeAll(async () => {
    harness = await startSignaling({ knownStyles: ['invert', 'tint-red'], knownBackground: (id) => id === 'dawn', maxSessions: 1 });
    ({ handle } = harness);
  });

  afterAll(() => harness.close());

  const update = (c: Client, payload: unknown) =>
    new Promise<{ ok: boolean; style?: string; target?: string; error?: ErrorPayload }>((resolve) => (c as unknown as { emit(e: string, ...a: unknown[]): void }).emit('session.update', payload, resolve));

  it('takes the effect object and effect ids, answering with the effect id and target', async () => {
    const c = await client();
    expect(await update(c, { effect: { kind: 'blur', target: 'background', params: { strength: 'light' } } })).toEqual({ ok: true, style: 'blur-light', target: 'background' });
    expect(await update(c, { style: 'bg-dawn' })).toEqual({ ok: true, style: 'bg-dawn', target: 'background' });
    expect(await update(c, { effect: { kind: 'style', target: 'person', params: { style: 'invert' } } })).toEqual({ ok: true, style: 'invert', target: 'person' });
    expect(await update(c, { effect: { kind: 'none' } })).toEqual({ ok: true, style: 'none', target: 'none' });
  });

  it('refuses unknown effects and misapplied ones with clear codes and keeps the effect', async () => {
    const c = await client();
    expect(await update(c, { style: 'bg-dawn', target: 'background' })).toMatchObject({ ok: true });
    expect(await update(c, { target: 'person' })).toMatchObject({ ok: false, error: { code: 'unknown_target' } });
    expect(await update(c, { style: 'bg-elsewhere' })).toMatchObject({ ok: false, error: { code: 'unknown_style' } });
    expect(await update(c, { style: 'blur-enormous' })).toMatchObject({ ok: false, error: { code: 'unknown_style' } });
    expect(await update(c, { effect: { kind: 'blur', target: 'sky' } })).toMatchObject({ ok: false, error: { code: 'unknown_target' } });
    expect(await update(c, { effect: { kind: 'image', target: 'person', params: { image: 'dawn' } } })).toMatchObject({ ok: false, error: { code: 'unknown_target' } });
    expect(await update(c, { effect: { kind: 'glitter', target: 'whole' } })).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    // unchanged: a target-only update still applies to the picture
    expect(await update(c, { target: 'background' })).toEqual({ ok: true, style: 'bg-dawn', target: 'background' });
  });
});
