/**
 * A session's side of the inference owner (inference-owner.ts): one MessagePort, requests with ids answered in any
 * order, and `RemoteModel`, a model that runs in the owner but looks to a `Stylizer` like a local one. The owner
 * going away (port closed) fails every pending request with a clear error; close() is idempotent.
 */
import type { MessagePort } from 'node:worker_threads';
import type { ModelEntry } from '@deepphoto/models';
import { findModel } from '@deepphoto/models';
import { DeepPhotoError, deserializeError } from '../core/errors.ts';
import type { ClientMessage, OwnerMessage } from './inference-protocol.ts';
import type { ExecutionProvider } from './providers.ts';

interface Waiting {
  resolve(message: OwnerMessage): void;
  reject(error: Error): void;
}

export class InferenceClient {
  private readonly pending = new Map<number, Waiting>();
  private nextId = 1;
  private gone: Error | undefined;

  constructor(private readonly port: MessagePort) {
    port.on('message', (message: OwnerMessage) => {
      const waiting = this.pending.get(message.id);
      if (!waiting) return;
      this.pending.delete(message.id);
      if (message.type === 'failed') waiting.reject(deserializeError(message.error));
      else waiting.resolve(message);
    });
    port.on('close', () => this.fail(new DeepPhotoError('internal', 'the inference owner is gone')));
  }

  /** Loads the owner's batched copy of `modelId` (once per owner); resolves with the provider it got. */
  async load(modelId: string): Promise<ExecutionProvider> {
    const reply = await this.request({ type: 'load', id: 0, modelId });
    if (reply.type !== 'loaded') throw new DeepPhotoError('internal', `inference owner answered ${reply.type} to load`);
    return reply.provider;
  }

  /** Runs one frame in the owner (batched with other sessions' frames); `output` is written when it resolves. */
  async run(modelId: string, input: SharedArrayBuffer, dims: readonly number[], output: SharedArrayBuffer): Promise<{ ms: number; batch: number }> {
    const reply = await this.request({ type: 'run', id: 0, modelId, input, dims: [...dims], output });
    if (reply.type !== 'ran') throw new DeepPhotoError('internal', `inference owner answered ${reply.type} to run`);
    return { ms: reply.ms, batch: reply.batch };
  }

  private request(message: ClientMessage): Promise<OwnerMessage> {
    if (this.gone) return Promise.reject(this.gone);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.port.postMessage({ ...message, id });
    });
  }

  private fail(error: Error): void {
    this.gone ??= error;
    for (const waiting of this.pending.values()) waiting.reject(this.gone);
    this.pending.clear();
  }

  /** Idempotent: closes the port (the owner forgets this session); pending requests fail. */
  close(): void {
    if (this.gone) return;
    this.fail(new DeepPhotoError('invalid_state', 'inference client is closed'));
    this.port.close();
  }
}

/**
 * A style network that runs in the inference owner, with the `entry` / `run` of a LoadedModel so that `Stylizer`
 * uses it unchanged. Its input tensor lives in a SharedArrayBuffer handed out by `allocateInput` (the Stylizer
 * writes the frame there: no copy to send it); the output comes back in a second one, valid until the next run.
 */
export class RemoteModel {
  private input: Float32Array | undefined;
  private output: Float32Array | undefined;
  /** How many frames (of all sessions) the owner's run of the last frame held. */
  lastBatch = 0;

  private constructor(
    readonly entry: ModelEntry,
    readonly provider: ExecutionProvider,
    private readonly client: InferenceClient,
  ) {}

  /** Asks the owner to load `modelId` (make-before-break: a new style is ready before it is used). */
  static async load(client: InferenceClient, modelId: string): Promise<RemoteModel> {
    const entry = findModel(modelId);
    if (!entry) throw new TypeError(`unknown model "${modelId}"`);
    return new RemoteModel(entry, await client.load(modelId), client);
  }

  /** A float32 tensor the owner can read in place; the same one while the size stays the same. */
  allocateInput(length: number): Float32Array {
    if (this.input?.length !== length) this.input = new Float32Array(new SharedArrayBuffer(length * 4));
    return this.input;
  }

  async run(input: Float32Array, dims: readonly number[]): Promise<{ data: Float32Array; dims: readonly number[] }> {
    const shared = this.allocateInput(input.length);
    if (input !== shared) shared.set(input); // a caller that did not use allocateInput pays one copy
    if (this.output?.length !== input.length) this.output = new Float32Array(new SharedArrayBuffer(input.length * 4));
    const output = this.output;
    this.lastBatch = (await this.client.run(this.entry.id, shared.buffer as SharedArrayBuffer, dims, output.buffer as SharedArrayBuffer)).batch;
    return { data: output, dims };
  }
}
