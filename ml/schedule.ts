/**
 * Learning-rate schedule as in nanoGPT: linear warmup from 0 to `lr` over `warmupSteps`, then a cosine
 * decay to `minLr` at `decaySteps`, and `minLr` after that.
 */

/** Parameters of {@link learningRate}. */
export interface ScheduleOptions {
  lr: number;
  minLr: number;
  warmupSteps: number;
  /** Step at which the cosine reaches `minLr` (usually the total number of steps). */
  decaySteps: number;
}

/** Learning rate for the update with 0-based index `step`. */
export function learningRate(step: number, o: ScheduleOptions): number {
  if (step < o.warmupSteps) return (o.lr * (step + 1)) / o.warmupSteps;
  if (step >= o.decaySteps) return o.minLr;
  const span = Math.max(1, o.decaySteps - o.warmupSteps);
  const ratio = (step - o.warmupSteps) / span;
  return o.minLr + 0.5 * (1 + Math.cos(Math.PI * ratio)) * (o.lr - o.minLr);
}
