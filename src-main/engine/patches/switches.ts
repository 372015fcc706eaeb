import type { EnvSwitchState } from '../../../src-shared/contract';

/** A FER_* environment variable the workbench reads. */
export interface EnvSwitch {
  name: string;
  /** What it does, in one sentence. */
  effect: string;
  /** The patch (registry.ts) it turns off, wholly or in part, with the value 0; absent for the others. */
  patch?: string;
}

/**
 * Every FER_* variable src-main reads, in one list (a test greps src-main for any it misses). The modules still read
 * their own at start-up, where they always did, so a value takes effect exactly as before; this list is what
 * `fer doctor` shows and what a run records.
 */
export const ENV_SWITCHES: readonly EnvSwitch[] = [
  { name: 'FER_HOME', effect: 'The workbench home folder, when --home is not given.' },
  { name: 'FER_BACKEND', effect: 'Forces the training backend by name (auto: pick the best usable one).' },
  { name: 'FER_WASM_THREADS', effect: 'Threads the wasm backend computes with, 1 to 8 (default one per core).' },
  { name: 'FER_WINOGRAD', effect: '0: 3×3 convolutions on wasm skip the Winograd kernels (A/B timing, test reference).', patch: 'wasm-training-kernels' },
  { name: 'FER_RELAXED_SIMD', effect: '0: the wasm kernels run plain SIMD128 even where relaxed-SIMD FMA exists.', patch: 'wasm-training-kernels' },
  { name: 'FER_FUSED_BN', effect: '0: training-mode batch norm runs tfjs-layers’ own ops.', patch: 'fused-batch-norm-training' },
  { name: 'FER_FUSED_BN_RELU', effect: '0: a ReLU after a batch norm runs as its own layer.', patch: 'relu-pass-through' },
  { name: 'FER_LAZY_CONV_GRAD', effect: '0: conv layers run tfjs-layers’ fused conv and its eager gradient.', patch: 'lazy-conv-grad' },
  { name: 'FER_FUSED_ADAM', effect: '0: Adam runs tfjs’s own ops.', patch: 'fused-adam' },
  { name: 'FER_EVAL_INPROCESS', effect: '1: evaluations, saliency maps and step timings run in the calling process, not a child.' },
  { name: 'FER_TRAINER_STDERR', effect: 'Set: the trainer child’s output and errors are copied to this process’s stderr.' },
  { name: 'FER_TRAINER_CHILD', effect: 'Set by the launcher on the trainer child process (not a user setting).' },
  { name: 'FER_TRAIN_MEMORY_MB', effect: 'The memory a training step may use, in MiB: a run estimated above it is refused before its first batch, naming the largest batch that fits.' },
  { name: 'FER_HUMAN_MODELS_DIR', effect: 'A copy of the face-backbone package’s models kept elsewhere.' },
  { name: 'FER_FEATURE_STORE', effect: 'off: runs neither read nor write the frozen-base feature store (<home>/cache/features); features are computed in memory as before.' },
];

/** Every switch with its value in `env` (null when unset), for `fer doctor`. */
export function envSwitchStates(env: NodeJS.ProcessEnv = process.env): EnvSwitchState[] {
  return ENV_SWITCHES.map((s) => ({ name: s.name, value: env[s.name] ?? null, effect: s.effect }));
}

/** The compute switches (those tied to a patch) that are set in `env`, as NAME=value, for a run's record. */
export function setComputeSwitches(env: NodeJS.ProcessEnv = process.env): string[] {
  return ENV_SWITCHES.filter((s) => s.patch && env[s.name] !== undefined).map((s) => `${s.name}=${env[s.name]}`);
}
