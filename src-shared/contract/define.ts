import type { z } from 'zod';

/** Carries a result or payload type through the contract without a runtime value. */
export interface Phantom<T> {
  readonly __type?: T;
}
export function returns<T>(): Phantom<T> {
  return {};
}

export interface InvokeChannel<A extends z.ZodType, R> {
  args: A;
  result: Phantom<R>;
}

export function invoke<A extends z.ZodType, R>(args: A, _result: Phantom<R>): InvokeChannel<A, R> {
  return { args, result: _result };
}

export type ArgsIn<C> = C extends InvokeChannel<infer A, unknown> ? z.input<A> : never;
export type ArgsOut<C> = C extends InvokeChannel<infer A, unknown> ? z.output<A> : never;
export type ResultOf<C> = C extends InvokeChannel<z.ZodType, infer R> ? R : never;
export type PayloadOf<E> = E extends Phantom<infer P> ? P : never;
