import type { TrainConfig } from '../../src-shared/contract/runs';
import { NUM_CLASSES } from '../../src-shared/labels';
import { activateBackend, chooseBackend } from './backend';
import { getModel, xnnpackPoolFor } from './models/index';
import { train } from './train';

export interface StepTiming {
  backend: string;
  /** Wall seconds of one training batch of the config (the median of the timed ones, after a warm-up batch). */
  secondsPerStep: number;
}

/**
 * Times a few training batches of `cfg` on the backend it would train on, through the real training loop (the
 * same kernels, augmentation, loss and optimizer), on random faces. The first batch compiles and allocates and is
 * not counted. Feature caching is off: timing the full network is the upper bound for a frozen base.
 */
export async function timeTrainingSteps(cfg: TrainConfig, weightsFile: string | null, steps = 3): Promise<StepTiming> {
  const choice = await chooseBackend(cfg.backend);
  await activateBackend(choice.name, { xnnpack: xnnpackPoolFor(cfg) });
  const def = getModel(cfg.model);
  const model = await def.build(cfg, { weightsFile });
  const n = cfg.batch * (steps + 1);
  // Deterministic noise: the time of a batch does not depend on what the faces show.
  const pixels = new Uint8Array(n * 48 * 48);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 2654435761) >>> 24;
  const labels = new Uint8Array(n).map((_, i) => i % NUM_CLASSES);
  const stamps: number[] = [performance.now()];
  try {
    await train({
      config: { ...cfg, epochs: 1, cacheFeatures: false, patience: 0 },
      model,
      spec: def.inputSpec(cfg),
      train: { pixels, labels, n },
      val: null,
      classWeights: null,
      dir: null,
      hooks: {
        shouldStop: () => {
          stamps.push(performance.now());
          return false;
        },
      },
    });
  } finally {
    model.dispose();
  }
  const durations = stamps.slice(2).map((t, i) => (t - stamps[i + 1]!) / 1000);
  durations.sort((a, b) => a - b);
  return { backend: choice.name, secondsPerStep: durations[Math.floor(durations.length / 2)] ?? (stamps.at(-1)! - stamps[0]!) / 1000 };
}
