import type { InvokeChannels, InvokeName, InvokeParsedArgs, InvokeResult } from '../../src-shared/contract';
import type { Workbench } from '../context';

export type Handler<N extends InvokeName> = (args: InvokeParsedArgs<N>, wb: Workbench) => Promise<InvokeResult<N>> | InvokeResult<N>;

/** A domain module's handlers: exactly the channels of its contract map, no more, no fewer. */
export type HandlersFor<M extends Partial<InvokeChannels>> = { [N in keyof M & InvokeName]: Handler<N> };

export type AllHandlers = { [N in InvokeName]: Handler<N> };
