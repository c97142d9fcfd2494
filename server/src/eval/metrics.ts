/**
 * The study's metric: per image, the mean of the person IoU and the background IoU, averaged over images.
 * An empty class (no person and none predicted) counts as IoU 1 for that class.
 */
export function meanIoU(predicted: Float32Array, truth: Uint8Array, threshold = 0.5): number {
  if (predicted.length !== truth.length) throw new RangeError(`meanIoU: ${predicted.length} vs ${truth.length} pixels`);
  let both = 0;
  let predOnly = 0;
  let truthOnly = 0;
  let neither = 0;
  for (let i = 0; i < truth.length; i++) {
    const p = predicted[i]! >= threshold;
    const t = truth[i]! >= 128;
    if (p && t) both++;
    else if (p) predOnly++;
    else if (t) truthOnly++;
    else neither++;
  }
  const personUnion = both + predOnly + truthOnly;
  const backgroundUnion = neither + predOnly + truthOnly;
  const personIoU = personUnion === 0 ? 1 : both / personUnion;
  const backgroundIoU = backgroundUnion === 0 ? 1 : neither / backgroundUnion;
  return (personIoU + backgroundIoU) / 2;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function mean(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length;
}
