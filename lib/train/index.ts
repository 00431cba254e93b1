// train: the training loop (fit), evaluation, metrics, progress and learning-curve charts.
export { fit } from './fit';
export type { FitOptions, FitResult, EpochRecord, MetricName } from './fit';
export { evaluate, defaultLoss } from './evaluate';
export type { EvaluateOptions, EvaluateResult, LossFn } from './evaluate';
export { MetricAccumulator } from './metrics';
export type { MetricValues } from './metrics';
export { lineChartSvg, learningCurvesSvg, niceTicks, escapeXml } from './svg';
export type { Panel, Series, ChartOptions, CurvePoint } from './svg';
export type { Batch, Loader, Scheduler } from './types';
export type { ProgressMode } from './progress';
