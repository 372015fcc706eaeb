import { totalmem } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { AppError } from '../../src-shared/errors';
import { bytesAtBatch, formatBytes, type MemoryLimits, type RunShape, type TrainingMemory } from './memory-plan';
import { installedAdapter } from './webgpu';

/**
 * What each backend can give a training step (memory-plan.ts estimates what the step needs), and the first step's
 * guard that turns a GPU out-of-memory or validation error into the same kind of message.
 *
 * - webgpu: no buffer may exceed the device's maxStorageBufferBindingSize or maxBufferSize (hard limits; tfjs asks
 *   for the adapter's own). WebGPU has no query for total memory: FER_TRAIN_MEMORY_MB states it; a software adapter
 *   uses the machine's memory.
 * - cpu, tensorflow: the machine's memory (tensors are ordinary process memory).
 * - wasm: one 4 GiB heap (wasm32), but the workbench's wasm kernels keep less than the estimate assumes, so only
 *   FER_TRAIN_MEMORY_MB sets a budget there; tensorflow-gpu: the GPU's memory is unknown, likewise.
 */
export const MEMORY_ENV = 'FER_TRAIN_MEMORY_MB';

/** The members of a GPUDevice used here (tfjs-backend-webgpu keeps its device as `backend.device`). */
export interface GpuDeviceLike {
  limits: { maxStorageBufferBindingSize: number; maxBufferSize: number };
  pushErrorScope(filter: 'validation' | 'out-of-memory' | 'internal'): void;
  popErrorScope(): Promise<{ message: string } | null>;
  lost: Promise<{ reason?: string; message: string }>;
  addEventListener?(type: 'uncapturederror', listener: (e: Event) => void): void;
  removeEventListener?(type: 'uncapturederror', listener: (e: Event) => void): void;
}

/** The webgpu backend's device when webgpu is the active backend, else null. */
export function webgpuDevice(): GpuDeviceLike | null {
  if (tf.getBackend() !== 'webgpu') return null;
  // The registry, not tf.findBackend: that would start the backend.
  const live = tf.engine().registry.webgpu as unknown as { device?: GpuDeviceLike } | undefined;
  return live?.device ?? null;
}

interface LimitSources {
  env?: NodeJS.ProcessEnv;
  device?: GpuDeviceLike | null;
  /** Whether the webgpu adapter is a software one (its memory is the machine's). */
  softwareAdapter?: boolean;
  /** Whether tfjs's `tensorflow` backend is tfjs-node-gpu on a CUDA GPU (its memory is the GPU's, not the machine's). */
  tensorflowOnGpu?: boolean;
  totalMemory?: number;
}

/** tfjs-node-gpu registers as `tensorflow` too; its binding says whether TensorFlow computes on a GPU. */
function tensorflowUsesGpu(): boolean {
  const live = tf.engine().registry.tensorflow as unknown as { binding?: { isUsingGpuDevice?: () => boolean } } | undefined;
  return live?.binding?.isUsingGpuDevice?.() ?? false;
}

function envBudget(env: NodeJS.ProcessEnv): number | null {
  const raw = env[MEMORY_ENV]?.trim();
  if (!raw) return null;
  const mb = Number(raw);
  if (!Number.isFinite(mb) || mb <= 0) throw new AppError('INVALID_INPUT', `${MEMORY_ENV} must be a positive number of MiB, got "${raw}".`);
  return mb * 2 ** 20;
}

/** What `backend` can give a training step here. Sources are injectable for tests; the defaults read this process. */
export function memoryLimitsFor(backend: string, src: LimitSources = {}): MemoryLimits {
  const env = src.env ?? process.env;
  const stated = envBudget(env);
  const machine = src.totalMemory ?? totalmem();
  const budget =
    stated !== null
      ? { budgetBytes: stated, budgetSource: `${MEMORY_ENV}=${env[MEMORY_ENV]!.trim()}` }
      : backend === 'cpu' || (backend === 'tensorflow' && !(src.tensorflowOnGpu ?? tensorflowUsesGpu())) || (backend === 'webgpu' && (src.softwareAdapter ?? installedAdapter()?.software))
        ? { budgetBytes: machine, budgetSource: `this machine's memory${backend === 'webgpu' ? ', which a software adapter computes in' : ''}; ${MEMORY_ENV} sets another budget` }
        : { budgetBytes: null };
  if (backend !== 'webgpu') return { backend, maxTensorBytes: null, ...budget };
  const device = src.device === undefined ? webgpuDevice() : src.device;
  if (!device) return { backend, maxTensorBytes: null, ...budget };
  const { maxStorageBufferBindingSize: binding, maxBufferSize: buffer } = device.limits;
  const maxTensorBytes = Math.min(binding, buffer);
  const which = binding <= buffer ? `maxStorageBufferBindingSize ${binding}` : `maxBufferSize ${buffer}`;
  return { backend, maxTensorBytes, maxTensorSource: `the WebGPU device's ${which} bytes`, ...budget };
}

/** An error's text inside a sentence of ours: its own full stop dropped. */
const clause = (message: string): string => message.trim().replace(/\.+$/, '');

/** Errors a backend throws when it runs out of memory (wasm's heap, V8's array buffers, TensorFlow's allocator). */
const OOM = /out of memory|Maximum memory size|Cannot enlarge memory|Array buffer allocation failed|Invalid typed array length|OOM|allocation failed/i;

/** The run's failure when its first step broke for lack of memory: what broke, what the estimate said, what to do. */
export function firstStepMemoryError(cause: string, m: TrainingMemory, limits: MemoryLimits, run: RunShape): AppError {
  const what = `${run.model} at ${run.inputSize}×${run.inputSize}, batch ${run.batch}, on ${limits.backend}`;
  const stated = limits.budgetBytes !== null ? `, within the ${formatBytes(limits.budgetBytes)} budget (${limits.budgetSource}), which is more than this device can give` : '';
  return new AppError(
    'INVALID_INPUT',
    `${what} ran out of memory in its first training step: ${clause(cause)}. By the workbench's estimate the step needs about ${formatBytes(bytesAtBatch(m, run.batch))}${stated}. Set ${MEMORY_ENV} to the memory this device really has (in MiB) and the run is refused before it starts, naming the largest batch that fits.`,
    { batch: run.batch, needBytes: bytesAtBatch(m, run.batch), limits },
  );
}

/**
 * Runs the first training step so that running out of memory fails the run with a reason. On webgpu an oversized or
 * unallocatable buffer throws nothing: the device reports a validation or out-of-memory error (or is lost) and tfjs
 * goes on with an invalid buffer, so the step runs inside error scopes and any error they catch fails the run.
 */
export async function guardFirstStep<T>(step: () => Promise<T>, fail: (cause: string) => AppError, device: GpuDeviceLike | null = webgpuDevice()): Promise<T> {
  let lost: string | null = null;
  if (device) {
    void device.lost.then((info) => (lost = `the GPU device was lost (${info.reason ?? 'unknown'}: ${info.message})`));
    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
  }
  let value: T | undefined;
  let thrown: unknown = null;
  try {
    value = await step();
  } catch (err) {
    thrown = err;
  }
  if (device) {
    const validation = await device.popErrorScope();
    const oom = await device.popErrorScope();
    // Let a device-lost notice that came with the step's errors land before deciding.
    await new Promise<void>((r) => setImmediate(r));
    const gpu = oom ? `out of GPU memory (${oom.message.split('\n')[0]})` : validation ? `the GPU refused a buffer (${validation.message.split('\n')[0]})` : lost;
    if (gpu) throw fail(gpu);
  }
  if (thrown) {
    const msg = thrown instanceof Error ? thrown.message : String(thrown);
    if (OOM.test(msg)) throw fail(msg.split('\n')[0]!);
    throw thrown;
  }
  return value as T;
}

/** An error the GPU reported outside any error scope. */
export interface GpuReport {
  message: string;
  outOfMemory: boolean;
}

/**
 * Keeps the first error the GPU reports during a run. WebGPU throws nothing for an uncaptured error: the operation
 * yields an invalid buffer and later reads give zeros (measured on llvmpipe: the sum of 33.5M ones read back as 0), so
 * without this a run would train on garbage. The training loop asks after every batch and before each checkpoint.
 */
export class GpuErrorWatch {
  private first: GpuReport | null = null;
  private readonly onError = (e: Event): void => {
    const error = (e as unknown as { error?: { message?: string; constructor?: { name?: string } } }).error;
    this.first ??= { message: (error?.message ?? 'unknown GPU error').split('\n')[0]!, outOfMemory: error?.constructor?.name === 'GPUOutOfMemoryError' };
  };

  constructor(private readonly device: GpuDeviceLike) {
    device.addEventListener?.('uncapturederror', this.onError);
    void device.lost.then((info) => (this.first ??= { message: `the GPU device was lost (${info.reason ?? 'unknown'}: ${info.message})`, outOfMemory: false }));
  }

  /** The first error since the watch began, if any. */
  failure(): GpuReport | null {
    return this.first;
  }

  stop(): void {
    this.device.removeEventListener?.('uncapturederror', this.onError);
  }
}

/** The run's failure when the GPU reported an error mid-run: where, what, and that nothing after it was saved. */
export function gpuRunError(report: GpuReport, at: { epoch: number; batch?: number }, m: TrainingMemory, run: RunShape): AppError {
  const where = at.batch === undefined ? `after epoch ${at.epoch}` : `at epoch ${at.epoch}, batch ${at.batch}`;
  const saved = at.epoch > 1 ? `The checkpoints of epoch ${at.epoch - 1} and before are kept; nothing after the error was saved.` : 'Nothing was saved.';
  if (report.outOfMemory) {
    return new AppError(
      'INVALID_INPUT',
      `${run.model} at ${run.inputSize}×${run.inputSize}, batch ${run.batch}, on webgpu ran out of GPU memory ${where}: ${clause(report.message)}. ${saved} By the workbench's estimate a step needs about ${formatBytes(bytesAtBatch(m, run.batch))}; set ${MEMORY_ENV} to the memory this GPU really has (in MiB) and the run is refused before it starts, naming the largest batch that fits.`,
      { epoch: at.epoch, batch: at.batch ?? null },
    );
  }
  return new AppError('BACKEND_UNAVAILABLE', `webgpu reported an error ${where}: ${clause(report.message)}. The run stops rather than train on invalid buffers. ${saved}`, { epoch: at.epoch, batch: at.batch ?? null });
}
