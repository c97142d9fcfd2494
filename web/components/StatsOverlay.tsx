'use client';
import type { StatsPayload } from '@deepphoto/shared';
import type { ClientStats } from '../lib/live-client.ts';

const ms = (v: number | undefined): string => (v === undefined || !Number.isFinite(v) ? '–' : v < 10 ? v.toFixed(1) : v.toFixed(0));
const fps = (v: number | undefined): string => (v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(0));

/** Small read-out over the filtered video. Hidden with the "Stats" button. */
export function StatsOverlay({ server, client }: { server: StatsPayload | null; client: ClientStats | null }) {
  const s = server?.stages;
  return (
    <dl className="stats" aria-label="Live statistics" data-testid="stats">
      <div>
        <dt>fps</dt>
        <dd>
          {fps(client?.fps)} shown · {fps(server?.fpsOut)} sent · {fps(server?.fpsIn)} in
        </dd>
      </div>
      <div>
        <dt>latency</dt>
        <dd>
          {ms(server?.latencyMs)} ms server · {ms(client?.rttMs)} ms rtt · {ms(client?.jitterBufferMs)} ms buffer
        </dd>
      </div>
      <div>
        <dt>dropped</dt>
        <dd>
          {server ? `${server.droppedFrames}/s · ${server.droppedTotal} total` : '–'}
          {client?.framesDropped !== undefined ? ` · ${client.framesDropped} here` : ''}
        </dd>
      </div>
      <div>
        <dt>stages</dt>
        <dd>
          {s
            ? `dec ${ms(s.decodeMs)} · seg ${ms(s.segmentMs)} · style ${ms(s.styleMs)} · smooth ${ms(s.smoothMs)} · comp ${ms(s.compositeMs)} · enc ${ms(s.encodeMs)} ms`
            : '–'}
        </dd>
      </div>
      <div className="stats-extra">
        <dt>video</dt>
        <dd>
          {server ? `${server.width}×${server.height} · ${Math.round(server.bitrateKbpsIn)}↑ ${Math.round(server.bitrateKbpsOut)}↓ kbps` : '–'}
        </dd>
      </div>
    </dl>
  );
}
