// The training commands, re-exported so the command index needs one import line for all of them.
export { resumeCommand } from './resume';
export { runCommand } from './run';
export { runsCommand } from './runs';
export { renameCommand } from './rename';
export { stopCommand } from './stop';
export { trainCommand } from './train';
