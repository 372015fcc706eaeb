import type { Command } from '../command';
import { doctorCommand } from './doctor';
import { webCommand } from './web';

/** Every `fer` subcommand. Each lives in its own file and calls the services through the contract. */
export const COMMANDS: Command[] = [doctorCommand, webCommand];
