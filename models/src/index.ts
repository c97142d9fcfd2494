export * from './manifest.ts';
export * from './resolve.ts';
