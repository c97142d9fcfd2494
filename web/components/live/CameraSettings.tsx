'use client';

export const RESOLUTIONS = [
  { id: '320x240', label: '320 × 240 (light)' },
  { id: '640x480', label: '640 × 480' },
  { id: '1280x720', label: '1280 × 720 (HD)' },
] as const;

interface Props {
  devices: MediaDeviceInfo[];
  deviceId: string;
  resolution: string;
  disabled: boolean;
  onChange(deviceId: string, resolution: string): void;
}

/** Camera and resolution pickers (a change mid-call replaces the track without renegotiating). */
export function CameraSettings({ devices, deviceId, resolution, disabled, onChange }: Props) {
  return (
    <div className="settings">
      <label className="field">
        <span className="label">Camera</span>
        <select value={deviceId} onChange={(e) => onChange(e.target.value, resolution)} disabled={disabled}>
          <option value="">Default camera</option>
          {devices.map((d, i) => (
            <option key={d.deviceId || i} value={d.deviceId}>
              {d.label || `Camera ${i + 1}`}
            </option>
          ))}
        </select>
      </label>
      <label className="field">
        <span className="label">Resolution</span>
        <select value={resolution} onChange={(e) => onChange(deviceId, e.target.value)} disabled={disabled}>
          {RESOLUTIONS.map((r) => (
            <option key={r.id} value={r.id}>
              {r.label}
            </option>
          ))}
        </select>
      </label>
    </div>
  );
}
