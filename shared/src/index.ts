export * from './effects.ts';
export * from './protocol.ts';
