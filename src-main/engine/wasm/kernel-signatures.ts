import { AppError } from '../../../src-shared/errors';

/**
 * What a kernel parameter carries. The wasm functions take i32s only; this says what each one means on the TS side.
 * ptr: a heap offset (any C pointer); i32: a size, count or index; flag: a C int 0/1, passed as a boolean;
 * f32bits: a float32 passed as its int32 bits (job rows are Int32Array slots), given as the float.
 */
export type ParamType = 'ptr' | 'i32' | 'flag' | 'f32bits';

interface Signature {
  /** Parameter names exactly as in the C (kernels/*.c), in C order (object keys keep their insertion order). */
  params: Readonly<Record<string, ParamType>>;
  returns: 'i32' | 'void';
  /** Posted to the kernel worker threads, one row of arguments each (KERNEL_FNS); else called on the caller only. */
  threaded: boolean;
}

/**
 * The TS↔C interface of kernels/*.c, one entry per exported function: file by file in name order (the order
 * scripts/build-kernels.mjs links them), each file's exports in its order. Calls are built from named arguments
 * (argRow), the worker list is derived from it, and checkKernelExports holds the compiled module to it at load; a
 * test holds it to the C declarations.
 */
export const KERNEL_SIGNATURES = {
  // activation.c
  relu_grad: { params: { x: 'ptr', dy: 'ptr', dx: 'ptr', i0: 'i32', i1: 'i32' }, returns: 'void', threaded: true },
  // batch_norm.c
  bn_moments: { params: { x: 'ptr', c: 'i32', p0: 'i32', p1: 'i32', part: 'ptr', acc: 'ptr' }, returns: 'void', threaded: true },
  chan_sums: { params: { x: 'ptr', c: 'i32', p0: 'i32', p1: 'i32', part: 'ptr', acc: 'ptr' }, returns: 'void', threaded: true },
  bn_affine: { params: { x: 'ptr', y: 'ptr', coef: 'ptr', c: 'i32', relu: 'flag', p0: 'i32', p1: 'i32' }, returns: 'void', threaded: true },
  bn_grad_sums: {
    params: { x: 'ptr', dy: 'ptr', mean: 'ptr', act: 'ptr', c: 'i32', p0: 'i32', p1: 'i32', part: 'ptr', acc: 'ptr' },
    returns: 'void',
    threaded: true,
  },
  bn_grad_apply: { params: { x: 'ptr', dy: 'ptr', dx: 'ptr', coef: 'ptr', act: 'ptr', c: 'i32', p0: 'i32', p1: 'i32' }, returns: 'void', threaded: true },
  // conv_one_channel.c
  conv_c1: {
    params: { x: 'ptr', w: 'ptr', bias: 'ptr', y: 'ptr', h: 'i32', wd: 'i32', oh: 'i32', ow: 'i32', co: 'i32', pt: 'i32', pl: 'i32', relu: 'flag', r0: 'i32', r1: 'i32', rows: 'ptr' },
    returns: 'void',
    threaded: true,
  },
  wgrad_c1: {
    params: { x: 'ptr', dy: 'ptr', acc: 'ptr', row: 'ptr', h: 'i32', w: 'i32', oh: 'i32', ow: 'i32', co: 'i32', pt: 'i32', pl: 'i32', r0: 'i32', r1: 'i32' },
    returns: 'void',
    threaded: true,
  },
  sum_parts: { params: { acc: 'ptr', parts: 'i32', stride: 'i32', out: 'ptr', n: 'i32' }, returns: 'void', threaded: false },
  conv_co1: {
    params: { x: 'ptr', w: 'ptr', y: 'ptr', h: 'i32', wd: 'i32', ci: 'i32', oh: 'i32', ow: 'i32', pt: 'i32', pl: 'i32', r0: 'i32', r1: 'i32' },
    returns: 'void',
    threaded: true,
  },
  // conv_winograd.c
  wino_tile: { params: {}, returns: 'i32', threaded: false },
  wino_positions: { params: {}, returns: 'i32', threaded: false },
  wino_filter: { params: { w: 'ptr', u: 'ptr', ci: 'i32', co: 'i32' }, returns: 'void', threaded: false },
  wino_scratch_floats: { params: { ci: 'i32', co: 'i32' }, returns: 'i32', threaded: false },
  wino_conv: {
    params: { x: 'ptr', u: 'ptr', bias: 'ptr', y: 'ptr', h: 'i32', w: 'i32', ci: 'i32', oh: 'i32', ow: 'i32', co: 'i32', pt: 'i32', pl: 'i32', relu: 'flag', pool: 'flag', t0: 'i32', t1: 'i32', scratch: 'ptr' },
    returns: 'void',
    threaded: true,
  },
  wino_wgrad: {
    params: { x: 'ptr', dy: 'ptr', acc: 'ptr', h: 'i32', w: 'i32', ci: 'i32', oh: 'i32', ow: 'i32', co: 'i32', pt: 'i32', pl: 'i32', t0: 'i32', t1: 'i32', scratch: 'ptr', bpart: 'ptr', bacc: 'ptr' },
    returns: 'void',
    threaded: true,
  },
  wino_wgrad_finish: { params: { acc: 'ptr', parts: 'i32', stride: 'i32', dw: 'ptr', ci: 'i32', co: 'i32' }, returns: 'void', threaded: false },
  // dropout.c
  dropout_apply: { params: { x: 'ptr', y: 'ptr', s: 'i32', threshold: 'i32', kept_bits: 'f32bits', i0: 'i32', i1: 'i32' }, returns: 'void', threaded: true },
  // optimizer.c
  adam_update: { params: { w: 'ptr', m: 'ptr', vv: 'ptr', g: 'ptr', w2: 'ptr', m2: 'ptr', v2: 'ptr', p: 'ptr', n: 'i32' }, returns: 'void', threaded: false },
  // pooling.c
  maxpool2: { params: { x: 'ptr', y: 'ptr', ow: 'i32', c: 'i32', r0: 'i32', r1: 'i32' }, returns: 'void', threaded: true },
  maxpool2_grad: { params: { x: 'ptr', dy: 'ptr', dx: 'ptr', ow: 'i32', c: 'i32', r0: 'i32', r1: 'i32' }, returns: 'void', threaded: true },
} as const satisfies Record<string, Signature>;

export type KernelName = keyof typeof KERNEL_SIGNATURES;
type Params<F extends KernelName> = (typeof KERNEL_SIGNATURES)[F]['params'];
type ValueOf<T extends ParamType> = T extends 'flag' ? boolean : number;

/** A call's arguments by C parameter name: every parameter, nothing else. */
export type ArgsOf<F extends KernelName> = { readonly [P in keyof Params<F>]: Params<F>[P] extends ParamType ? ValueOf<Params<F>[P]> : never };

/** The kernels the worker threads may run, by index (the control block carries the index). */
export type ThreadedKernel = { [F in KernelName]: (typeof KERNEL_SIGNATURES)[F]['threaded'] extends true ? F : never }[KernelName];
export const KERNEL_FNS = (Object.keys(KERNEL_SIGNATURES) as KernelName[]).filter((f) => KERNEL_SIGNATURES[f].threaded) as ThreadedKernel[];

const f32bits = new Int32Array(1);
const f32view = new Float32Array(f32bits.buffer);

/**
 * The positional i32 row the wasm function takes, from named arguments. Names are checked at run time too (a
 * missing or extra one is an error naming it), since a row of the wrong length would shift every later argument.
 */
export function argRow<F extends KernelName>(fn: F, args: ArgsOf<F>): number[] {
  const params = KERNEL_SIGNATURES[fn].params as Readonly<Record<string, ParamType>>;
  const given = args as Readonly<Record<string, number | boolean>>;
  for (const k of Object.keys(given)) if (!(k in params)) throw new Error(`${fn} has no parameter ${k} (kernel-signatures.ts)`);
  return Object.entries(params).map(([name, type]) => {
    const v = given[name];
    if (v === undefined) throw new Error(`${fn}: argument ${name} missing`);
    if (type === 'flag') return v ? 1 : 0;
    if (type === 'f32bits') {
      f32view[0] = v as number;
      return f32bits[0]!;
    }
    return v as number;
  });
}

/**
 * Holds a kernel instance's exports to the table: every entry exported as a function taking its number of
 * parameters, and no exported function the table does not list. Run once per instance the runtime makes.
 */
export function checkKernelExports(exports: WebAssembly.Exports): void {
  const problems: string[] = [];
  for (const [name, sig] of Object.entries(KERNEL_SIGNATURES)) {
    const f = exports[name];
    const want = Object.keys(sig.params).length;
    if (typeof f !== 'function') problems.push(`${name} is in the signature table but not exported by the module`);
    else if (f.length !== want) problems.push(`${name} takes ${f.length} parameters in the module, ${want} in the signature table`);
  }
  for (const [name, v] of Object.entries(exports)) {
    if (typeof v === 'function' && !(name in KERNEL_SIGNATURES)) problems.push(`${name} is exported by the module but missing from the signature table`);
  }
  if (problems.length) throw new AppError('INTERNAL', `The wasm kernels do not match src-main/engine/wasm/kernel-signatures.ts: ${problems.join('; ')}.`);
}
