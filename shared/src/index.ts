export * from './effects.ts';
export * from './protocol.ts';
export * from './people.ts';
export * from './timings.ts';
