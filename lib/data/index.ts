// Data: datasets (uint8 HWC in memory), readers for IDX / CIFAR files, batch transforms and the
// DataLoader that turns them into float32 NHWC batches.
export { ArrayDataset, Subset } from './dataset';
export type { Dataset, Sample, ImageShape, ArrayDatasetInit } from './dataset';
export { DataLoader } from './loader';
export type { DataLoaderOptions, Batch } from './loader';
export { DatasetFileError } from './files';
export { parseIdx, readIdx } from './idx';
export type { IdxArray } from './idx';
export { parseCifarBatch, readCifarBatch } from './cifar';
export type { CifarBatch, CifarVariant } from './cifar';
export * as transforms from './transforms';
export type { Transform, ImageBatch } from './transforms';
export * as datasets from './datasets';
