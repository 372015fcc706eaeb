/** The evaluation engineer's commands, re-exported so the registry needs one import line. */
export { calibrationCommand } from './calibration';
export { cellCommand } from './cell';
export { compareCommand } from './compare';
export { diffCommand } from './diff';
export { ensembleCommand } from './ensemble';
export { evalCommand } from './eval';
export { exportCommand } from './export';
