import { describe, expect, it } from 'vitest';
import { effectFromId, effectIdOf, effectSpecSchema, sessionUpdateSchema } from '@deepphoto/shared';

describe('effect model', () => {
  it('a plain style id is still an effect: kind style', () => {
    const r = effectFromId('candy', 'background');
    expect(r).toEqual({ ok: true, effect: { kind: 'style', target: 'background', params: { style: 'candy' } } });
  });

  it('blur ids and picture ids resolve to their kinds and back to the same id', () => {
    for (const id of ['blur-light', 'blur-strong', 'bg-dawn', 'bg-u-0123456789abcdef', 'none', 'mosaic']) {
      const r = effectFromId(id, 'background');
      expect(r.ok, id).toBe(true);
      if (r.ok) expect(effectIdOf(r.effect)).toBe(id);
    }
    const blur = effectFromId('blur-light', 'person');
    expect(blur.ok && blur.effect).toEqual({ kind: 'blur', target: 'person', params: { strength: 'light' } });
  });

  it('rejects unknown strengths, bad ids and a picture on the person with the right code', () => {
    expect(effectFromId('blur-extreme', 'background')).toMatchObject({ ok: false, code: 'unknown_style' });
    expect(effectFromId('bg-', 'background')).toMatchObject({ ok: false, code: 'unknown_style' });
    expect(effectFromId('Not An Id', 'whole')).toMatchObject({ ok: false, code: 'unknown_style' });
    expect(effectFromId('bg-dawn', 'person')).toMatchObject({ ok: false, code: 'unknown_target' });
  });

  it('the object form is validated strictly, with defaults for blur and none', () => {
    expect(effectSpecSchema.parse({ kind: 'blur', target: 'background' })).toEqual({ kind: 'blur', target: 'background', params: { strength: 'strong' } });
    expect(effectSpecSchema.parse({ kind: 'none' })).toEqual({ kind: 'none', target: 'none', params: {} });
    expect(effectSpecSchema.safeParse({ kind: 'style', target: 'whole', params: { style: 'candy', extra: 1 } }).success).toBe(false);
    expect(effectSpecSchema.safeParse({ kind: 'image', target: 'whole', params: { image: 'dawn' } }).success).toBe(false);
    expect(effectSpecSchema.safeParse({ kind: 'sparkle', target: 'whole' }).success).toBe(false);
  });

  it('session.update accepts the object form beside the old style/target form', () => {
    expect(sessionUpdateSchema.safeParse({ style: 'candy' }).success).toBe(true);
    expect(sessionUpdateSchema.safeParse({ effect: { kind: 'blur', target: 'background', params: { strength: 'light' } } }).success).toBe(true);
    expect(sessionUpdateSchema.safeParse({ effect: { kind: 'blur', target: 'nowhere' } }).success).toBe(false);
    expect(sessionUpdateSchema.safeParse({}).success).toBe(false);
  });
});
