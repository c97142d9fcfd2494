/** One config module: every setting read once from an environment object, bad values named. */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, readConfig, readProcessingConfig } from '../../server/src/config/config.ts';

describe('readConfig', () => {
  it('an empty environment gives the documented defaults', () => {
    const config = readConfig({});
    expect(config.server).toEqual({ port: 8080, host: '127.0.0.1', maxSessions: 2 });
    expect(config.runtime.threads).toBe(2);
    expect(config.runtime.providers.segmentation).toEqual(['cpu']);
    expect(config.runtime.providers.style).toEqual(['cpu']);
    expect(config.live).toEqual({ threads: 1, styleThread: true, styleThreads: 1, arbitrarySpare: true });
    expect(config.paths).toEqual({ backgroundsDir: path.resolve('var/backgrounds'), stylesDir: path.resolve('var/styles') });
    expect(config.security.maxSessionsPerIdentity).toBe(1);
  });

  it('reads each variable into its typed place', () => {
    const config = readConfig({
      PORT: '9000',
      HOST: '0.0.0.0',
      DEEPPHOTO_MAX_SESSIONS: '4',
      DEEPPHOTO_THREADS: '3',
      DEEPPHOTO_EP: 'cuda,cpu',
      DEEPPHOTO_EP_STYLE: 'webgpu',
      DEEPPHOTO_LIVE_TIER: 'quality',
      DEEPPHOTO_LIVE_WORKING_SIZE: '320',
      DEEPPHOTO_LIVE_THREADS: '2',
      DEEPPHOTO_STYLE_THREAD: '0',
      DEEPPHOTO_STYLE_THREADS: '2',
      DEEPPHOTO_ARBITRARY_SPARE: '0',
      DEEPPHOTO_ARBITRARY_WORKING_SIZE: '384',
      DEEPPHOTO_BACKGROUNDS_DIR: '/tmp/bg',
      DEEPPHOTO_STYLES_DIR: '/tmp/styles',
      DEEPPHOTO_WEB_DIR: '/tmp/web',
    });
    expect(config.server).toEqual({ port: 9000, host: '0.0.0.0', maxSessions: 4 });
    expect(config.runtime.threads).toBe(3);
    expect(config.runtime.providers.segmentation).toEqual(['cuda', 'cpu']);
    expect(config.runtime.providers.style).toEqual(['webgpu', 'cpu']);
    expect(config.live).toEqual({ tier: 'quality', workingSize: 320, threads: 2, styleThread: false, styleThreads: 2, arbitrarySpare: false, arbitraryWorkingSize: 384 });
    expect(config.paths).toEqual({ backgroundsDir: '/tmp/bg', stylesDir: '/tmp/styles', webDir: '/tmp/web' });
  });

  it.each([
    ['DEEPPHOTO_THREADS', 'two'],
    ['DEEPPHOTO_MAX_SESSIONS', '0'],
    ['DEEPPHOTO_LIVE_WORKING_SIZE', '-256'],
    ['DEEPPHOTO_LIVE_TIER', 'fast'],
    ['DEEPPHOTO_STYLE_THREAD', 'no'],
    ['DEEPPHOTO_EP_STYLE', 'webgpu,metal'],
    ['DEEPPHOTO_EP', 'gpu'],
    ['PORT', '80x'],
    ['DEEPPHOTO_NO_MEDIA_TIMEOUT_MS', 'soon'],
  ])('a bad %s is a ConfigError naming it', (name, value) => {
    let thrown: unknown;
    try {
      readConfig({ [name]: value });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as Error).message).toContain(name);
  });

  it('what a frame worker gets survives a structured clone (it travels as workerData)', () => {
    const config = readProcessingConfig({ DEEPPHOTO_EP_STYLE: 'webgpu', DEEPPHOTO_LIVE_TIER: 'live' });
    expect(structuredClone(config)).toEqual(config);
  });
});
