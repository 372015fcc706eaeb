import type { Command } from '../command';
import { curvesCommand } from './curves';
import { datasetStatsCommand } from './dataset-stats';
import { datasetsCommand } from './datasets';
import { doctorCommand } from './doctor';
import { featuresCommand } from './features';
import { ferplusCommand } from './ferplus';
import { importCommand } from './import';
import { labelIssuesCommand } from './label-issues';
import { synthCommand } from './synth';
import { webCommand } from './web';
import { calibrationCommand, cellCommand, compareCommand, diffCommand, ensembleCommand, evalCommand, exportCommand } from './eval-commands';
import { revisionCommand } from './revision';
import { studyCommand } from './study';
import { weightsCommand } from './weights';
import { modelsCommand } from './models';
import { renameCommand, resumeCommand, runCommand, runsCommand, stopCommand, trainCommand } from './training';

/** Every `fer` subcommand. Each lives in its own file and calls the services through the contract. */
export const COMMANDS: Command[] = [doctorCommand, webCommand, synthCommand, importCommand, datasetsCommand, datasetStatsCommand, ferplusCommand, weightsCommand, featuresCommand, modelsCommand, evalCommand, ensembleCommand, cellCommand, compareCommand, exportCommand, calibrationCommand, diffCommand, curvesCommand, labelIssuesCommand, revisionCommand, trainCommand, runsCommand, runCommand, stopCommand, resumeCommand, renameCommand, studyCommand];
