/** The Compare table prints columns with the exporter's own rules, so the screen reads like the exported file. */
export { columnHeader, formatCell as columnCell } from '../../src-shared/columns';
