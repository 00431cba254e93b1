// Parameter / FLOP / memory accounting per module, and measured time per module.
export { summary, formatSummary } from './summary';
export type { Summary, SummaryRow, SummaryOptions } from './summary';
export { time } from './timing';
export type { TimingRow, TimingOptions } from './timing';
export { countCall } from './counts';
