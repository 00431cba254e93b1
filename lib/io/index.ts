// Reading and writing weights: safetensors files, written atomically.
export {
  saveSafetensors,
  loadSafetensors,
  encodeSafetensors,
  decodeSafetensors,
  inspectSafetensors,
  SafetensorsError,
  MAX_HEADER_LENGTH,
} from './safetensors';
export type {
  SafetensorsDtype,
  IntegerDtype,
  IntegerEntry,
  IntegerInput,
  SafetensorsEntries,
  SafetensorsContents,
  SafetensorsEntryInfo,
  SafetensorsHeader,
  SaveOptions,
  LoadOptions,
} from './safetensors';
export { writeFileAtomic } from './atomic';
export { saveCheckpoint, loadCheckpoint, saveStateDict, stateDictEntries } from './checkpoint';
export type { CheckpointParts, CheckpointInfo, Stateful } from './checkpoint';
