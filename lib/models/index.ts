// The model zoo. Each family file registers its constructors; importing it here makes them
// available through models.create(name) and models.list().
export { registerModel, list, info, create } from './registry';
export type { ModelOptions, ModelInfo, ModelListEntry } from './registry';
